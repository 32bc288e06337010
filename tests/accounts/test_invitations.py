"""Invitations: 64-character single-use token, 48-hour expiry, revocation, the 20-user limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Invitation, SecurityEvent, User
from tests.accounts.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Viewer-Pass-42"


def invite(admin_api, role="viewer", email=None):
    payload = {"role": role} if email is None else {"role": role, "email": email}
    return admin_api.post("/api/users/invite", payload, format="json")


def accept(client, token, username="newbie", password=NEW_PASSWORD):
    return client.post(f"/api/invitations/{token}/accept", {"username": username, "password": password}, format="json")


def test_invite_returns_a_64_character_token_valid_48_hours(admin_api, admin_user):
    with time_machine.travel(timezone.now(), tick=False):
        response = invite(admin_api, email="new@example.com")
        assert response.status_code == 201
        body = response.json()
        assert len(body["token"]) == 64 and body["role"] == "viewer"
        invitation = Invitation.objects.get()
        assert invitation.expires_at == timezone.now() + timedelta(hours=48)
    assert body["token"] not in invitation.token_hash, "only a hash of the token is stored"
    event = SecurityEvent.objects.get(event_type="USER_INVITED")
    assert event.user == admin_user and event.severity == "MEDIUM" and event.details["role"] == "viewer"


def test_a_valid_token_can_be_checked_publicly(admin_api, anon_api):
    token = invite(admin_api, role="admin").json()["token"]
    response = anon_api.get(f"/api/invitations/{token}")
    assert response.status_code == 200
    assert response.json()["role"] == "admin"


def test_accepting_creates_the_user_with_the_invited_role_and_signs_them_in(admin_api, anon_api):
    token = invite(admin_api, role="admin", email="boss@example.com").json()["token"]
    response = accept(anon_api, token)
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="newbie")
    assert user.role == "admin" and user.is_staff and user.is_superuser and user.email == "boss@example.com"
    assert body["role"] == "admin" and "access_token" in body
    assert bearer(anon_api, body["access_token"]).get("/api/auth/me").json()["username"] == "newbie"
    assert SecurityEvent.objects.get(event_type="INVITATION_ACCEPTED").user == user


def test_an_invitation_works_only_once(admin_api, anon_api):
    token = invite(admin_api).json()["token"]
    assert accept(anon_api, token).status_code == 201
    again = accept(anon_api, token, username="second")
    assert again.status_code == 409
    assert "already been used" in again.json()["detail"]
    assert anon_api.get(f"/api/invitations/{token}").status_code == 409
    assert not User.objects.filter(username="second").exists()


def test_an_expired_invitation_is_refused(admin_api, anon_api):
    token = invite(admin_api).json()["token"]
    with time_machine.travel(timezone.now() + timedelta(hours=48, seconds=1)):
        response = accept(anon_api, token)
    assert response.status_code == 410
    assert "expired" in response.json()["detail"]


def test_a_revoked_invitation_is_refused(admin_api, anon_api):
    created = invite(admin_api).json()
    assert admin_api.delete(f"/api/users/invitations/{created['id']}").status_code == 204
    response = accept(anon_api, created["token"])
    assert response.status_code == 410
    assert "revoked" in response.json()["detail"]


def test_an_unknown_token_is_404(anon_api):
    assert anon_api.get("/api/invitations/" + "x" * 64).status_code == 404
    assert accept(anon_api, "y" * 64).status_code == 404


def test_a_weak_password_or_taken_username_leaves_the_invitation_usable(admin_api, anon_api, viewer_user):
    token = invite(admin_api).json()["token"]
    weak = accept(anon_api, token, password="123")
    assert weak.status_code == 400 and "password" in weak.json()["detail"]
    taken = accept(anon_api, token, username="viewer")
    assert taken.status_code == 409
    assert accept(anon_api, token).status_code == 201


def test_viewers_cannot_invite_or_list(viewer_api):
    assert invite(viewer_api, role="admin").status_code == 403
    assert viewer_api.get("/api/users/invitations").status_code == 403


def test_invitations_are_listed_with_their_status(admin_api, anon_api):
    used = invite(admin_api).json()["token"]
    accept(anon_api, used)
    revoked = invite(admin_api).json()["id"]
    admin_api.delete(f"/api/users/invitations/{revoked}")
    invite(admin_api)
    statuses = sorted(i["status"] for i in admin_api.get("/api/users/invitations").json()["invitations"])
    assert statuses == ["accepted", "pending", "revoked"]


def test_at_most_twenty_active_users(admin_api, anon_api, admin_user):
    UserFactory.create_batch(18)  # + admin = 19 active users
    token = invite(admin_api).json()["token"]
    full = invite(admin_api)
    assert full.status_code == 409, "19 users + 1 pending invitation = 20"
    assert "20" in full.json()["detail"]
    assert accept(anon_api, token).status_code == 201
    assert User.objects.filter(is_active=True).count() == 20
    assert invite(admin_api).status_code == 409


def test_accepting_beyond_the_limit_is_refused(admin_api, anon_api):
    token = invite(admin_api).json()["token"]
    UserFactory.create_batch(19)  # the instance filled up after the invitation was sent
    response = accept(anon_api, token)
    assert response.status_code == 409
    assert Invitation.objects.get().accepted_at is None


def test_a_revoked_user_frees_a_seat(admin_api, anon_api):
    users = UserFactory.create_batch(19)
    assert invite(admin_api).status_code == 409
    assert admin_api.put(f"/api/users/{users[0].pk}", {"is_active": False}, format="json").status_code == 200
    assert invite(admin_api).status_code == 201


def test_the_invitation_page_creates_the_account_and_logs_in(admin_api, client):
    token = invite(admin_api, role="viewer").json()["token"]
    page = client.get(f"/accounts/invitations/{token}/")
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    response = client.post(
        f"/accounts/invitations/{token}/",
        {"username": "pageuser", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(username="pageuser")
    assert int(client.session["_auth_user_id"]) == user.pk
    used = client.get(f"/accounts/invitations/{token}/")
    assert used.status_code == 409 and "already been used" in used.content.decode()
