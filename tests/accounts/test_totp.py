"""TOTP 2FA: set-up with QR, verify to enable, encrypted secret, login with the second factor,
single-use hashed backup codes, disable with a code."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.crypto import decrypt_text
from accounts.models import BackupCode, SecurityEvent
from tests.accounts.conftest import api_login, bearer, enable_totp, totp_now
from tests.factories import TEST_PASSWORD as PW

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(api, viewer_user, password):
    return bearer(api, api_login(api, "viewer", password).json()["access_token"])


def test_setup_returns_secret_otpauth_uri_and_qr_code(viewer_client):
    body = viewer_client.post("/api/2fa/setup", format="json").json()
    assert len(body["secret"]) == 32
    assert body["otpauth_uri"].startswith("otpauth://totp/") and f"secret={body['secret']}" in body["otpauth_uri"]
    assert "issuer=Jutsu%20Labs" in body["otpauth_uri"]
    assert body["qr_code"].startswith("data:image/svg+xml;base64,")
    assert not Authenticator.objects.exists(), "nothing is enabled before a code is verified"


def test_verify_enables_totp_and_returns_ten_backup_codes(viewer_client, viewer_user):
    _secret, codes = enable_totp(viewer_client)
    assert len(codes) == 10 and len(set(codes)) == 10
    status = viewer_client.get("/api/2fa/status").json()
    assert status["totp_enabled"] is True and status["backup_codes_remaining"] == 10
    event = SecurityEvent.objects.get(event_type="2FA_ENABLED")
    assert event.user == viewer_user and event.severity == "MEDIUM"


def test_the_second_factor_status_reads_each_kind_of_factor_once(viewer_client, viewer_user):
    from accounts.selectors import mfa_status

    enable_totp(viewer_client)
    with CaptureQueriesContext(connection) as ctx:
        status = mfa_status(viewer_user)
    assert status["methods"] == ["totp", "backup_code"] and status["backup_codes_remaining"] == 10
    assert len(ctx.captured_queries) == 3  # TOTP authenticator, passkey count, unused backup codes


def test_the_totp_secret_is_encrypted_at_rest(viewer_client, viewer_user):
    secret, _ = enable_totp(viewer_client)
    stored = Authenticator.objects.get(user=viewer_user, type="totp").data["secret"]
    assert secret not in stored and stored.startswith("fernet:")
    assert decrypt_text(stored.removeprefix("fernet:")) == secret


def test_backup_codes_are_stored_hashed(viewer_client, viewer_user):
    _, codes = enable_totp(viewer_client)
    stored = list(BackupCode.objects.filter(user=viewer_user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    plain = {c.replace("-", "") for c in codes}
    assert not plain & set(stored)
    assert all(len(h) == 64 for h in stored)


def test_wrong_code_does_not_enable(viewer_client, viewer_user):
    viewer_client.post("/api/2fa/setup", format="json")
    response = viewer_client.post("/api/2fa/verify", {"code": "000000", "current_password": PW}, format="json")
    assert response.status_code == 400
    assert not Authenticator.objects.filter(user=viewer_user).exists()
    assert SecurityEvent.objects.filter(event_type="2FA_FAILURE", user=viewer_user).exists()


def test_verify_without_setup_is_a_clear_400(viewer_client):
    response = viewer_client.post("/api/2fa/verify", {"code": "123456", "current_password": PW}, format="json")
    assert response.status_code == 400
    assert "set-up" in response.json()["detail"]


def test_setup_again_while_enabled_is_a_conflict(viewer_client):
    enable_totp(viewer_client)
    assert viewer_client.post("/api/2fa/setup", format="json").status_code == 409


def test_login_with_totp_enrolled_asks_for_the_second_factor_without_tokens(api, viewer_client, password):
    enable_totp(viewer_client)
    response = api_login(api, "viewer", password)
    assert response.status_code == 200
    body = response.json()
    assert body["requires_2fa"] is True
    assert "totp" in body["methods"] and "backup_code" in body["methods"]
    assert "access_token" not in body and "refresh_token" not in body


def test_login_2fa_with_a_current_code_gives_tokens(api, viewer_client, password, viewer_user):
    secret, _ = enable_totp(viewer_client)
    response = api.post(
        "/api/auth/login/2fa",
        {"username": "viewer", "password": password, "code": totp_now(secret, step_offset=1)},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert "access_token" in response.json()
    success = SecurityEvent.objects.filter(event_type="LOGIN_SUCCESS", user=viewer_user).order_by("-id").first()
    assert success.details["method"] == "password+totp"


def test_a_totp_code_works_only_once(api, viewer_client, password):
    secret, _ = enable_totp(viewer_client)
    # the next step's code: still within the ±1 tolerance if a 30-s boundary passes meanwhile
    # (the previous step's would not be), and not the code enable_totp just used
    code = totp_now(secret, step_offset=1)
    payload = {"username": "viewer", "password": password, "code": code}
    assert api.post("/api/auth/login/2fa", payload, format="json").status_code == 200
    assert api.post("/api/auth/login/2fa", payload, format="json").status_code == 401


def test_wrong_code_at_login_is_401_and_counts_as_a_failure(api, viewer_client, password, viewer_user):
    enable_totp(viewer_client)
    payload = {"username": "viewer", "password": password, "code": "000000"}
    response = api.post("/api/auth/login/2fa", payload, format="json")
    assert response.status_code == 401
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 1
    assert SecurityEvent.objects.filter(event_type="2FA_FAILURE", user=viewer_user).exists()


def test_login_2fa_still_checks_the_password(api, viewer_client, password):
    secret, _ = enable_totp(viewer_client)
    payload = {"username": "viewer", "password": "wrong-password", "code": totp_now(secret)}
    assert api.post("/api/auth/login/2fa", payload, format="json").status_code == 401


def test_a_backup_code_signs_in_once(api, viewer_client, password, viewer_user):
    _, codes = enable_totp(viewer_client)
    payload = {"username": "viewer", "password": password, "code": codes[0]}
    first = api.post("/api/auth/login/2fa", payload, format="json")
    assert first.status_code == 200
    second = api.post("/api/auth/login/2fa", payload, format="json")
    assert second.status_code == 401
    assert BackupCode.objects.filter(user=viewer_user, used_at__isnull=True).count() == 9


def test_backup_codes_are_accepted_without_the_dash_and_in_capitals(api, viewer_client, password):
    _, codes = enable_totp(viewer_client)
    payload = {"username": "viewer", "password": password, "code": codes[3].replace("-", "").upper()}
    assert api.post("/api/auth/login/2fa", payload, format="json").status_code == 200


def test_regenerated_backup_codes_replace_the_old_ones(api, viewer_client, password):
    secret, old = enable_totp(viewer_client)
    response = viewer_client.post(
        "/api/2fa/backup-codes/regenerate", {"code": totp_now(secret, step_offset=1)}, format="json"
    )
    assert response.status_code == 200
    new = response.json()["backup_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    api.credentials()
    stale = {"username": "viewer", "password": password, "code": old[0]}
    assert api.post("/api/auth/login/2fa", stale, format="json").status_code == 401
    fresh = {"username": "viewer", "password": password, "code": new[0]}
    assert api.post("/api/auth/login/2fa", fresh, format="json").status_code == 200


def test_validate_checks_a_code_for_the_signed_in_user(viewer_client):
    secret, _ = enable_totp(viewer_client)
    assert viewer_client.post("/api/2fa/validate", {"code": "000000"}, format="json").status_code == 400
    ok = viewer_client.post("/api/2fa/validate", {"code": totp_now(secret, step_offset=1)}, format="json")
    assert ok.status_code == 200 and ok.json() == {"valid": True, "method": "totp"}


def test_disable_needs_a_valid_code(viewer_client, viewer_user):
    secret, _ = enable_totp(viewer_client)
    assert viewer_client.post("/api/2fa/disable", {"code": "000000"}, format="json").status_code == 400
    assert Authenticator.objects.filter(user=viewer_user, type="totp").exists()
    response = viewer_client.post("/api/2fa/disable", {"code": totp_now(secret, step_offset=1)}, format="json")
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=viewer_user).exists()
    assert not BackupCode.objects.filter(user=viewer_user).exists()
    event = SecurityEvent.objects.get(event_type="2FA_DISABLED")
    assert event.severity == "HIGH"


def test_after_disabling_login_gives_tokens_again(api, viewer_client, password):
    _, codes = enable_totp(viewer_client)
    assert viewer_client.post("/api/2fa/disable", {"code": codes[0]}, format="json").status_code == 200
    api.credentials()
    assert "access_token" in api_login(api, "viewer", password).json()
