"""Password guessing: one per-address budget for every sign-in that checks a password, the current
password of a signed-in user guarded like sign-in (per address and per user, counted toward the
lockout), and a lockout that does not reveal accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from tests.accounts.conftest import api_login

pytestmark = pytest.mark.django_db

START = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=2)


def _minute(n: int):
    """Frozen at the start of the n-th minute from START (a fresh rate-limit window each minute)."""
    return time_machine.travel(START + timedelta(minutes=n, seconds=1), tick=False)


def _change(api, current: str, new: str = "Another-pw-12345-xyz", **extra):
    return api.put("/api/users/me/password", {"current_password": current, "new_password": new}, format="json", **extra)


# --- the current password of a signed-in user ------------------------------------------------------


def test_twelve_wrong_current_passwords_end_in_429_and_the_right_one_waits_for_the_window(
    viewer_api, viewer_user, password
):
    with _minute(0):
        codes = [_change(viewer_api, f"wrong-{i}").status_code for i in range(12)]
        assert codes == [400] * 5 + [429] * 7
        refused = _change(viewer_api, password)
        assert refused.status_code == 429 and refused["Retry-After"] == "60"
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 5
    failures = SecurityEvent.objects.filter(event_type="LOGIN_FAILURE", user=viewer_user)
    assert failures.count() == 5
    assert {(e.details["reason"], e.details["purpose"]) for e in failures} == {
        ("bad_current_password", "password_change")
    }
    assert SecurityEvent.objects.filter(event_type="RATE_LIMITED").exists()
    with _minute(1):
        assert _change(viewer_api, password).status_code == 200


def test_the_current_password_is_limited_per_user_whatever_the_address(viewer_api, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    with _minute(0):
        codes = [_change(viewer_api, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(7)]
    assert codes == [400] * 5 + [429] * 2
    event = SecurityEvent.objects.get(event_type="RATE_LIMITED", details__group="user-password")
    assert event.username == "viewer"


def test_wrong_current_passwords_lock_the_account_and_the_right_one_is_refused_while_locked(
    viewer_api, viewer_user, password
):
    codes = []
    for minute in range(2):
        with _minute(minute):
            codes += [_change(viewer_api, f"wrong-{minute}-{i}").status_code for i in range(5)]
    assert codes == [400] * 9 + [401]
    with _minute(2):
        locked = _change(viewer_api, password)
        assert locked.status_code == 401 and locked.json()["code"] == "account_locked"
        assert api_login(APIClient(), "viewer", password).status_code == 401  # sign-in is locked too
    assert SecurityEvent.objects.filter(event_type="ACCOUNT_LOCKED", user=viewer_user).count() == 1
    with _minute(40):  # the 30-minute lock is over
        assert _change(viewer_api, password).status_code == 200


def test_the_password_page_is_limited_and_counts_toward_the_lockout(viewer_client, viewer_user, password):
    def post(current):
        return viewer_client.post(
            "/accounts/password/",
            {"current_password": current, "new_password": "Another-pw-12345", "new_password_again": "Another-pw-12345"},
        )

    with _minute(0):
        codes = [post(f"wrong-{i}").status_code for i in range(12)]
        assert codes == [400] * 5 + [429] * 7
        assert post(password).status_code == 429
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 5
    assert SecurityEvent.objects.filter(event_type="LOGIN_FAILURE", details__channel="session").count() == 5


def test_backup_codes_confirmed_by_password_are_limited_and_count_toward_the_lockout(viewer_api, viewer_user):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=viewer_user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"})
    with _minute(0):
        codes = [
            viewer_api.post("/api/2fa/backup-codes/regenerate", {"password": f"wrong-{i}"}, format="json").status_code
            for i in range(6)
        ]
    assert codes == [400] * 5 + [429]
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 5


# --- one per-address budget for every endpoint that checks a password ------------------------------

PASSWORD_ENDPOINTS = {
    "api_login": lambda c: c.post(
        "/api/auth/login", {"username": "viewer", "password": "x"}, content_type="application/json"
    ),
    "api_login_2fa": lambda c: c.post(
        "/api/auth/login/2fa",
        {"username": "viewer", "password": "x", "code": "123456"},
        content_type="application/json",
    ),
    "passkey_options": lambda c: c.post(
        "/api/passkey/authenticate/options", {"username": "viewer", "password": "x"}, content_type="application/json"
    ),
    "page_login": lambda c: c.post("/accounts/login/", {"login": "viewer", "password": "x"}),
}


@pytest.mark.parametrize("last", PASSWORD_ENDPOINTS)
def test_one_address_gets_five_password_guesses_a_minute_in_total(viewer_user, last):
    client = Client()
    with _minute(0):
        spread = [PASSWORD_ENDPOINTS[name](client).status_code for name in PASSWORD_ENDPOINTS]
        spread.append(PASSWORD_ENDPOINTS["api_login"](client).status_code)
        assert 429 not in spread  # 5 guesses over 4 endpoints
        assert PASSWORD_ENDPOINTS[last](client).status_code == 429
    with _minute(1):
        assert PASSWORD_ENDPOINTS[last](client).status_code != 429


def test_guessing_a_current_password_does_not_lock_the_address_out_of_signing_in(viewer_api, admin_user, password):
    with _minute(0):
        assert [_change(viewer_api, f"wrong-{i}").status_code for i in range(12)][-1] == 429
        page = Client()
        assert page.post("/accounts/login/", {"login": "admin", "password": password}).status_code == 302
        assert api_login(APIClient(), "admin", password).status_code == 200


def test_the_current_password_budget_is_shared_by_every_user_behind_one_address(viewer_api, admin_api):
    with _minute(0):
        codes = [_change(viewer_api, "wrong").status_code for _ in range(3)]
        codes += [_change(admin_api, "wrong").status_code for _ in range(3)]
    assert codes == [400] * 5 + [429]


# --- the lockout answer does not tell which accounts exist ----------------------------------------


def test_an_unknown_username_gets_exactly_the_answers_of_a_locked_real_one(settings, viewer_user, password):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    real = APIClient(HTTP_X_FORWARDED_FOR="198.51.100.1")
    ghost = APIClient(HTTP_X_FORWARDED_FOR="198.51.100.2")
    answers: dict[str, list] = {"real": [], "ghost": []}
    for minute in range(2):
        with _minute(minute):
            for i in range(5):
                for name, client, username in (("real", real, "viewer"), ("ghost", ghost, "ghost")):
                    response = api_login(client, username, f"w{i}")
                    answers[name].append((response.status_code, response.json()))
    assert answers["real"] == answers["ghost"]
    assert answers["real"][8] == (401, {"detail": "Invalid username or password", "code": "authentication_failed"})
    assert answers["real"][9][1]["code"] == "account_locked"
    with _minute(2):
        locked = api_login(real, "viewer", password)  # the right password of a locked account
        unknown = api_login(ghost, "ghost", password)
    assert (locked.status_code, locked.json()) == (unknown.status_code, unknown.json())
    assert locked.status_code == 401 and locked.json()["code"] == "account_locked"
    with _minute(40):
        assert api_login(real, "viewer", password).status_code == 200
        assert api_login(ghost, "ghost", password).json()["code"] == "authentication_failed"


def test_the_page_login_shows_the_same_lockout_message_for_unknown_and_real_accounts(settings, viewer_user):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    pages = {}
    for username in ("viewer", "ghost"):
        client = Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{len(pages) + 10}")
        for minute in range(2):
            with _minute(minute):
                for i in range(5):
                    response = client.post("/accounts/login/", {"login": username, "password": f"w{i}"})
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        pages[username] = page.replace(username, "USERNAME")
    assert "Account locked after too many failed sign-ins" in pages["viewer"]
    assert pages["viewer"] == pages["ghost"]


@pytest.mark.parametrize("who", ["unknown", "wrong_password", "locked", "locked_unknown", "right_password"])
def test_every_sign_in_answer_costs_exactly_one_password_hash(api, viewer_user, password, monkeypatch, who):
    from accounts.errors import AuthenticationFailed
    from accounts.services.login import user_password_verify

    with _minute(0):
        for _ in range(10 if who.startswith("locked") else 0):
            for username in ("viewer", "ghost"):
                with pytest.raises(AuthenticationFailed):
                    user_password_verify(username=username, password="wrong")
    calls, depth = [], [0]

    def counted(method, original):
        def wrapper(self, *args):
            depth[0] += 1
            try:
                if depth[0] == 1:  # MD5's verify calls encode: one hash, counted once
                    calls.append(method)
                return original(self, *args)
            finally:
                depth[0] -= 1

        return wrapper

    for method in ("encode", "verify"):
        monkeypatch.setattr(MD5PasswordHasher, method, counted(method, getattr(MD5PasswordHasher, method)))
    username = "ghost" if who in ("unknown", "locked_unknown") else "viewer"
    with _minute(5):
        response = api_login(api, username, password if who in ("right_password", "locked") else "wrong")
    assert len(calls) == 1, calls
    expected = {"right_password": 200, "locked": 401, "locked_unknown": 401, "unknown": 401, "wrong_password": 401}
    assert response.status_code == expected[who]
    if who.startswith("locked"):
        assert response.json()["code"] == "account_locked"
