"""Backup codes come with the first second factor of any kind, and the account page says which
state they are in: none generated, some unused, all used."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import BackupCode
from tests.accounts.conftest import api_login, enable_totp
from tests.accounts.webauthn_authenticator import SoftAuthenticator
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _register(client, device: SoftAuthenticator, name: str = "Laptop"):
    options = client.post("/api/passkey/register/options", format="json").json()
    return client.post(
        "/api/passkey/register",
        {
            "challenge_id": options["challenge_id"],
            "credential": device.create(options),
            "name": name,
            "current_password": TEST_PASSWORD,
        },
        format="json",
    )


def test_a_first_passkey_issues_ten_backup_codes_once(viewer_api, viewer_user):
    first = _register(viewer_api, SoftAuthenticator())
    assert first.status_code == 201, first.content
    codes = first.json()["backup_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert BackupCode.objects.filter(user=viewer_user, used_at__isnull=True).count() == 10
    second = _register(viewer_api, SoftAuthenticator(), "Phone")
    assert second.status_code == 201 and second.json()["backup_codes"] == []
    assert BackupCode.objects.filter(user=viewer_user, used_at__isnull=True).count() == 10  # unchanged


def test_a_passkey_only_user_can_sign_in_with_a_backup_code_after_losing_the_passkey(
    api, viewer_api, viewer_user, password
):
    codes = _register(viewer_api, SoftAuthenticator()).json()["backup_codes"]
    body = api_login(api, "viewer", password).json()
    assert body["requires_2fa"] is True and "backup_code" in body["methods"]
    response = api.post(
        "/api/auth/login/2fa", {"username": "viewer", "password": password, "code": codes[0]}, format="json"
    )
    assert response.status_code == 200 and response.json()["access_token"]


def test_a_passkey_added_after_totp_keeps_the_existing_codes(viewer_api, viewer_user):
    _secret, codes = enable_totp(viewer_api)
    before = set(BackupCode.objects.filter(user=viewer_user).values_list("code_hash", flat=True))
    assert _register(viewer_api, SoftAuthenticator()).json()["backup_codes"] == []
    assert set(BackupCode.objects.filter(user=viewer_user).values_list("code_hash", flat=True)) == before
    assert len(codes) == 10


def _page(client) -> str:
    return client.get("/accounts/").content.decode()


def test_the_account_page_says_when_no_backup_codes_were_generated(viewer_client, viewer_user):
    Authenticator.objects.create(user=viewer_user, type=Authenticator.Type.WEBAUTHN, data={"name": "old key"})
    page = _page(viewer_client)
    assert 'data-backup-codes-state="none"' in page and "No backup codes generated yet" in page
    assert "0 of 10 unused" not in page


def test_the_account_page_tells_all_used_from_some_unused(viewer_client, viewer_api, viewer_user):
    _register(viewer_api, SoftAuthenticator())
    page = _page(viewer_client)
    assert 'data-backup-codes-state="unused"' in page and "10 of 10 unused" in page
    BackupCode.objects.filter(user=viewer_user).update(used_at=timezone.now())
    page = _page(viewer_client)
    assert 'data-backup-codes-state="all-used"' in page and "All 10 backup codes are used" in page


def test_the_second_factor_status_counts_generated_and_unused_codes(viewer_api, viewer_user):
    status = viewer_api.get("/api/2fa/status").json()
    assert (status["backup_codes_generated"], status["backup_codes_remaining"]) == (0, 0)
    _register(viewer_api, SoftAuthenticator())
    BackupCode.objects.filter(pk=BackupCode.objects.filter(user=viewer_user).first().pk).update(used_at=timezone.now())
    status = viewer_api.get("/api/2fa/status").json()
    assert (status["backup_codes_generated"], status["backup_codes_remaining"]) == (10, 9)
