"""Django admin: role changes go through the audited service; second factors are removable, not editable."""

from __future__ import annotations

import pytest

from accounts.models import BackupCode, SecurityEvent, User
from accounts.services.totp import totp_enable, totp_setup_begin
from tests.accounts.conftest import totp_now

pytestmark = pytest.mark.django_db


def change_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email or "",
        "role": user.role,
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_promoting_in_the_admin_is_audited_and_syncs_the_flags(admin_client, admin_user, viewer_user):
    response = admin_client.post(
        f"/admin/accounts/user/{viewer_user.pk}/change/", change_form(viewer_user, role="admin")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    viewer_user.refresh_from_db()
    assert viewer_user.role == "admin" and viewer_user.is_staff and viewer_user.is_superuser
    event = SecurityEvent.objects.get(event_type="ROLE_CHANGED")
    assert event.user == admin_user and event.details["new_role"] == "admin"


def test_users_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/accounts/user/add/").status_code == 403


def test_the_lockout_fields_are_read_only(admin_client, viewer_user):
    User.objects.filter(pk=viewer_user.pk).update(failed_login_count=3)
    response = admin_client.post(
        f"/admin/accounts/user/{viewer_user.pk}/change/",
        {**change_form(viewer_user), "failed_login_count": "0", "is_staff": "on", "is_superuser": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    viewer_user.refresh_from_db()
    assert not viewer_user.is_staff and not viewer_user.is_superuser
    assert viewer_user.failed_login_count == 3


def test_removing_a_lost_totp_in_the_admin_is_audited(admin_client, viewer_user):
    setup = totp_setup_begin(user=viewer_user)
    totp_enable(user=viewer_user, code=totp_now(setup.secret))
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.get(user=viewer_user)
    page = admin_client.get(f"/admin/mfa/authenticator/{authenticator.pk}/change/").content.decode()
    assert setup.secret not in page and "fernet:" not in page
    admin_client.post(f"/admin/mfa/authenticator/{authenticator.pk}/delete/", {"post": "yes"})
    assert not Authenticator.objects.exists()
    assert not BackupCode.objects.exists(), "no second factor left: the backup codes go too"
    assert SecurityEvent.objects.filter(event_type="2FA_DISABLED", details__target_username="viewer").exists()


def test_refresh_tokens_are_not_shown_in_the_admin(admin_client, api, viewer_user, password):
    refresh = api.post("/api/auth/login", {"username": "viewer", "password": password}, format="json").json()[
        "refresh_token"
    ]
    listing = admin_client.get("/admin/token_blacklist/outstandingtoken/").content.decode()
    assert "viewer" in listing and refresh not in listing
    assert User.objects.count() == 2
