"""Rate limits: 5/minute per trusted client IP on sign-in, 2FA and passkey endpoints (429)."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from accounts.models import SecurityEvent
from tests.accounts.conftest import api_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_instant():
    """Every attempt of a test in one rate-limit window: a slow machine must not carry them across
    a window boundary (django-ratelimit staggers the windows per key)."""
    with time_machine.travel(timezone.now(), tick=False):
        yield


def attempts(api, n: int, **extra) -> list[int]:
    return [
        api.post("/api/auth/login", {"username": "nobody", "password": f"x{i}"}, format="json", **extra).status_code
        for i in range(n)
    ]


def test_the_sixth_login_attempt_in_a_minute_is_429(api):
    assert attempts(api, 6) == [401] * 5 + [429]
    response = api.post("/api/auth/login", {"username": "nobody", "password": "x"}, format="json")
    assert response.status_code == 429
    assert response.json()["detail"] == "Rate limit exceeded"
    assert response["Retry-After"] == "60"
    event = SecurityEvent.objects.get(event_type="RATE_LIMITED")
    assert event.severity == "MEDIUM" and event.client_ip == "127.0.0.1" and event.details["group"] == "password"


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_limit(api, settings):
    settings.TRUSTED_PROXIES = []
    attempts(api, 5)
    spoofed = [
        api.post(
            "/api/auth/login",
            {"username": "nobody", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.9.8.{i}",
            HTTP_X_REAL_IP=f"10.9.9.{i}",
            HTTP_CF_CONNECTING_IP=f"10.9.7.{i}",
        ).status_code
        for i in range(3)
    ]
    assert spoofed == [429, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(api, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    assert attempts(api, 6, HTTP_X_FORWARDED_FOR="203.0.113.7")[-1] == 429
    assert attempts(api, 1, HTTP_X_FORWARDED_FOR="203.0.113.8") == [401]
    assert SecurityEvent.objects.get(event_type="RATE_LIMITED").client_ip == "203.0.113.7"


def test_the_limit_is_a_runtime_parameter(api, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "2/m")
    assert attempts(api, 3) == [401, 401, 429]


def test_a_successful_login_counts_too(api, viewer_user, password):
    assert [api_login(api, "viewer", password).status_code for _ in range(6)] == [200] * 5 + [429]


@pytest.mark.parametrize(
    "path, payload",
    [
        ("/api/auth/login/2fa", {"username": "nobody", "password": "x", "code": "123456"}),
        ("/api/passkey/authenticate/options", {}),
        ("/api/passkey/authenticate", {"challenge_id": "x", "credential": {}}),
    ],
)
def test_second_factor_and_passkey_endpoints_are_limited(api, path, payload):
    codes = [api.post(path, payload, format="json").status_code for _ in range(6)]
    assert 429 not in codes[:5] and codes[5] == 429


def test_the_2fa_endpoints_of_a_signed_in_user_are_limited(viewer_api):
    codes = [viewer_api.post("/api/2fa/validate", {"code": "000000"}, format="json").status_code for _ in range(6)]
    assert codes[-1] == 429


def test_page_login_is_limited_with_a_friendly_429(client):
    codes = [client.post("/accounts/login/", {"login": "nobody", "password": "x"}).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert "Too many attempts" in client.post("/accounts/login/", {"login": "x", "password": "y"}).content.decode()


def test_rate_limited_events_are_not_written_for_every_blocked_request(api):
    attempts(api, 12)
    assert SecurityEvent.objects.filter(event_type="RATE_LIMITED").count() == 1
