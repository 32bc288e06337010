"""Passkeys with a software authenticator (real P-256 keys and signatures, nothing mocked):
registration, several per user, sign-in as second factor and passwordless, sign-count replay,
5-minute challenge expiry, wrong origin/RP, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import SecurityEvent
from tests.accounts.conftest import api_login, bearer
from tests.accounts.webauthn_authenticator import SoftAuthenticator
from tests.factories import TEST_PASSWORD as PW

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api, viewer_user, password):
    return bearer(api, api_login(api, "viewer", password).json()["access_token"])


def register(client, device: SoftAuthenticator, name: str = "Laptop"):
    options = client.post("/api/passkey/register/options", format="json").json()
    credential = device.create(options)
    return client.post(
        "/api/passkey/register",
        {"challenge_id": options["challenge_id"], "credential": credential, "name": name, "current_password": PW},
        format="json",
    )


def second_factor_options(api, password):
    api.credentials()
    body = api_login(api, "viewer", password).json()
    assert body["requires_2fa"] is True and "passkey" in body["methods"]
    return body["passkey"]


def authenticate(api, options, credential):
    return api.post(
        "/api/passkey/authenticate",
        {"challenge_id": options["challenge_id"], "credential": credential, "current_password": PW},
        format="json",
    )


def test_registration_stores_a_named_passkey(signed_in, viewer_user):
    device = SoftAuthenticator()
    response = register(signed_in, device, "MacBook")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "MacBook"
    stored = Authenticator.objects.get(user=viewer_user, type="webauthn")
    assert stored.data["name"] == "MacBook" and stored.data["sign_count"] == 0
    event = SecurityEvent.objects.get(event_type="PASSKEY_REGISTERED")
    assert event.user == viewer_user and event.severity == "MEDIUM"


def test_options_name_the_relying_party_from_settings(signed_in, settings):
    options = signed_in.post("/api/passkey/register/options", format="json").json()
    assert options["publicKey"]["rp"] == {"id": settings.WEBAUTHN_RP_ID, "name": settings.WEBAUTHN_RP_NAME}
    assert options["publicKey"]["timeout"] == 5 * 60 * 1000


def test_several_passkeys_per_user_are_listed(signed_in, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "100/m")
    for name in ("Laptop", "Phone", "YubiKey"):
        assert register(signed_in, SoftAuthenticator(), name).status_code == 201
    passkeys = signed_in.get("/api/passkey/list").json()["passkeys"]
    assert [p["name"] for p in passkeys] == ["Laptop", "Phone", "YubiKey"]
    status = signed_in.get("/api/passkey/status").json()
    assert status["count"] == 3 and status["enabled"] is True


def test_the_same_credential_cannot_be_registered_twice(signed_in):
    device = SoftAuthenticator()
    assert register(signed_in, device).status_code == 201
    assert register(signed_in, device).status_code in (400, 409)


def test_registration_from_another_origin_is_refused(signed_in):
    options = signed_in.post("/api/passkey/register/options", format="json").json()
    credential = SoftAuthenticator().create(options, origin="https://evil.example")
    response = signed_in.post(
        "/api/passkey/register",
        {"challenge_id": options["challenge_id"], "credential": credential, "current_password": PW},
        format="json",
    )
    assert response.status_code == 400
    assert not Authenticator.objects.exists()


def test_a_registration_challenge_expires_after_5_minutes(signed_in):
    options = signed_in.post("/api/passkey/register/options", format="json").json()
    credential = SoftAuthenticator().create(options)
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        response = signed_in.post(
            "/api/passkey/register",
            {"challenge_id": options["challenge_id"], "credential": credential, "current_password": PW},
            format="json",
        )
    assert response.status_code == 400
    assert "expired" in response.json()["detail"]


def test_passkey_as_second_factor_signs_in_without_totp(api, signed_in, password, viewer_user):
    device = SoftAuthenticator()
    register(signed_in, device)
    options = second_factor_options(api, password)
    response = authenticate(api, options, device.get(options))
    assert response.status_code == 200, response.content
    assert "access_token" in response.json()
    stored = Authenticator.objects.get(user=viewer_user, type="webauthn")
    assert stored.data["sign_count"] == 1 and stored.last_used_at is not None
    assert SecurityEvent.objects.filter(event_type="PASSKEY_AUTHENTICATED", user=viewer_user).exists()
    login = SecurityEvent.objects.filter(event_type="LOGIN_SUCCESS", user=viewer_user).order_by("-id").first()
    assert login.details["method"] == "password+passkey"
    viewer_user.refresh_from_db()
    assert viewer_user.second_factor_verified_at >= stored.last_used_at  # a recent second factor (live switch)


def test_a_replayed_sign_count_is_rejected(api, signed_in, password, viewer_user):
    device = SoftAuthenticator()
    register(signed_in, device)
    first = second_factor_options(api, password)
    assert authenticate(api, first, device.get(first, sign_count=5)).status_code == 200
    second = second_factor_options(api, password)
    response = authenticate(api, second, device.get(second, sign_count=5))
    assert response.status_code == 401
    assert SecurityEvent.objects.filter(event_type="PASSKEY_AUTH_FAILED", user=viewer_user).exists()
    suspicious = SecurityEvent.objects.get(event_type="SUSPICIOUS_ACTIVITY")
    assert suspicious.severity == "HIGH" and suspicious.details["reason"] == "passkey_sign_count_replay"


def test_a_challenge_is_single_use(api, signed_in, password):
    device = SoftAuthenticator()
    register(signed_in, device)
    options = second_factor_options(api, password)
    assert authenticate(api, options, device.get(options)).status_code == 200
    assert authenticate(api, options, device.get(options)).status_code == 401


def test_an_authentication_challenge_expires_after_5_minutes(api, signed_in, password):
    device = SoftAuthenticator()
    register(signed_in, device)
    options = second_factor_options(api, password)
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        assert authenticate(api, options, device.get(options)).status_code == 401


def test_a_signature_by_another_key_is_rejected(api, signed_in, password):
    device = SoftAuthenticator()
    register(signed_in, device)
    impostor = SoftAuthenticator()
    impostor.credential_id, impostor.user_handle = device.credential_id, device.user_handle
    options = second_factor_options(api, password)
    assert authenticate(api, options, impostor.get(options)).status_code == 401


def test_an_assertion_for_another_rp_or_origin_is_rejected(api, signed_in, password):
    device = SoftAuthenticator()
    register(signed_in, device)
    options = second_factor_options(api, password)
    assert authenticate(api, options, device.get(options, origin="https://evil.example")).status_code == 401
    options = second_factor_options(api, password)
    assert authenticate(api, options, device.get(options, rp_id="evil.example")).status_code == 401


def test_passwordless_sign_in_requires_user_verification(api, signed_in, viewer_user):
    device = SoftAuthenticator()
    register(signed_in, device)
    api.credentials()
    options = api.post("/api/passkey/authenticate/options", {}, format="json").json()
    assert options["publicKey"]["userVerification"] == "required"
    assert authenticate(api, options, device.get(options, user_verified=False)).status_code == 401
    options = api.post("/api/passkey/authenticate/options", {}, format="json").json()
    response = authenticate(api, options, device.get(options))
    assert response.status_code == 200
    login = SecurityEvent.objects.filter(event_type="LOGIN_SUCCESS", user=viewer_user).order_by("-id").first()
    assert login.details["method"] == "passkey"


def test_authenticate_options_with_a_wrong_password_is_401(api, signed_in):
    register(signed_in, SoftAuthenticator())
    api.credentials()
    response = api.post("/api/passkey/authenticate/options", {"username": "viewer", "password": "nope"}, format="json")
    assert response.status_code == 401


def test_a_revoked_passkey_can_no_longer_sign_in(api, signed_in, password, viewer_user):
    device, other = SoftAuthenticator(), SoftAuthenticator()
    passkey_id = register(signed_in, device).json()["id"]
    register(signed_in, other)
    assert signed_in.delete(f"/api/passkey/{passkey_id}", {"current_password": PW}, format="json").status_code == 204
    event = SecurityEvent.objects.get(event_type="PASSKEY_REVOKED")
    assert event.details["passkey_id"] == passkey_id
    options = second_factor_options(api, password)
    assert authenticate(api, options, device.get(options)).status_code == 401


def test_users_cannot_revoke_each_others_passkeys(api, signed_in, admin_user, password):
    passkey_id = register(signed_in, SoftAuthenticator()).json()["id"]
    api.credentials()
    admin = bearer(api, api_login(api, "admin", password).json()["access_token"])
    assert admin.delete(f"/api/passkey/{passkey_id}", {"current_password": PW}, format="json").status_code == 404
    assert Authenticator.objects.filter(pk=passkey_id).exists()
