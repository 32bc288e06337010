"""Changing how an account signs in needs its owner present: the current password, or a second factor
verified within the last 5 minutes — a stolen session or access token alone cannot enrol or remove a factor."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import SecurityEvent
from tests.accounts.conftest import totp_now
from tests.accounts.webauthn_authenticator import SoftAuthenticator
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _register(client: APIClient, device: SoftAuthenticator, **extra):
    options = client.post("/api/passkey/register/options", format="json").json()
    body = {"challenge_id": options["challenge_id"], "credential": device.create(options), "name": "k", **extra}
    return client.post("/api/passkey/register", body, format="json")


def test_a_token_alone_cannot_register_a_passkey(viewer_api, viewer_user):
    response = _register(viewer_api, SoftAuthenticator())
    assert response.status_code == 403 and response.json()["code"] == "reauthentication_required"
    assert not Authenticator.objects.filter(user=viewer_user).exists()


def test_a_wrong_password_counts_toward_the_lockout_and_enrols_nothing(viewer_api, viewer_user):
    response = _register(viewer_api, SoftAuthenticator(), current_password="guess")
    assert response.status_code == 400 and response.json()["detail"] == "current_password: incorrect"
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 1 and not Authenticator.objects.filter(user=viewer_user).exists()
    event = SecurityEvent.objects.get(event_type="LOGIN_FAILURE")
    assert event.details["purpose"] == "factor_change"


def test_a_token_alone_cannot_turn_totp_on(viewer_api, viewer_user):
    secret = viewer_api.post("/api/2fa/setup", format="json").json()["secret"]
    refused = viewer_api.post("/api/2fa/verify", {"code": totp_now(secret)}, format="json")
    assert refused.status_code == 403 and not Authenticator.objects.filter(user=viewer_user).exists()
    done = viewer_api.post(
        "/api/2fa/verify", {"code": totp_now(secret, step_offset=1), "current_password": TEST_PASSWORD}, format="json"
    )
    assert done.status_code == 200 and len(done.json()["backup_codes"]) == 10


def test_a_second_factor_verified_within_5_minutes_stands_in_for_the_password(viewer_api, viewer_user):
    secret = viewer_api.post("/api/2fa/setup", format="json").json()["secret"]
    viewer_api.post("/api/2fa/verify", {"code": totp_now(secret), "current_password": TEST_PASSWORD}, format="json")
    validated = viewer_api.post("/api/2fa/validate", {"code": totp_now(secret, step_offset=1)}, format="json")
    assert validated.status_code == 200
    passkey = _register(viewer_api, SoftAuthenticator())
    assert passkey.status_code == 201
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        late = viewer_api.delete(f"/api/passkey/{passkey.json()['id']}")
        assert late.status_code == 403 and late.json()["code"] == "reauthentication_required"
        removed = viewer_api.delete(
            f"/api/passkey/{passkey.json()['id']}", {"current_password": TEST_PASSWORD}, format="json"
        )
    assert removed.status_code == 204
    assert not Authenticator.objects.filter(user=viewer_user, type=Authenticator.Type.WEBAUTHN).exists()


def _signed_in_api(password: str) -> tuple[APIClient, dict]:
    client = APIClient()
    tokens = client.post("/api/auth/login", {"username": "viewer", "password": password}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return client, tokens


def test_a_sign_in_of_the_last_5_minutes_is_enough_and_a_refresh_does_not_renew_it(viewer_user, password):
    client, tokens = _signed_in_api(password)
    secret = client.post("/api/2fa/setup", format="json").json()["secret"]
    assert client.post("/api/2fa/verify", {"code": totp_now(secret)}, format="json").status_code == 200
    later = timezone.now() + timedelta(minutes=6)
    with time_machine.travel(later):
        refreshed = APIClient().post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access_token']}")
        response = _register(client, SoftAuthenticator())
    assert response.status_code == 403 and response.json()["code"] == "reauthentication_required"


def test_a_page_sign_in_of_the_last_5_minutes_may_remove_a_passkey(client, viewer_user, password):
    client.post("/accounts/login/", {"login": "viewer", "password": password})  # before a factor exists
    registered = _register(_signed_in_api(password)[0], SoftAuthenticator())
    assert registered.status_code == 201
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        stale = client.post(f"/accounts/passkeys/{registered.json()['id']}/delete/")
        assert stale.status_code == 400
    removed = client.post(f"/accounts/passkeys/{registered.json()['id']}/delete/")
    assert removed.status_code == 302 and not Authenticator.objects.filter(pk=registered.json()["id"]).exists()
