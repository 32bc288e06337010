"""``/api/users/*``: admins manage users (role changes audited, staff flags follow the role);
everyone changes their own password."""

from __future__ import annotations

import pytest

from accounts.models import SecurityEvent, User
from tests.accounts.conftest import api_login, bearer
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_users(admin_api, viewer_user):
    users = admin_api.get("/api/users").json()["users"]
    assert {u["username"] for u in users} == {"admin", "viewer"}
    assert all("password" not in u for u in users)


def test_anonymous_gets_401_and_viewer_403(anon_api, viewer_api):
    assert anon_api.get("/api/users").status_code == 401
    assert viewer_api.get("/api/users").status_code == 403
    assert viewer_api.get("/api/users").json()["detail"] == "Insufficient permissions"


def test_promoting_a_viewer_is_audited_and_grants_the_admin_flags(admin_api, admin_user, viewer_user):
    response = admin_api.put(f"/api/users/{viewer_user.pk}", {"role": "admin"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "admin"
    viewer_user.refresh_from_db()
    assert viewer_user.is_staff and viewer_user.is_superuser
    event = SecurityEvent.objects.get(event_type="ROLE_CHANGED")
    assert event.severity == "HIGH" and event.user == admin_user
    assert event.details == {
        "target_user_id": viewer_user.pk,
        "target_username": "viewer",
        "old_role": "viewer",
        "new_role": "admin",
    }


def test_demoting_removes_the_admin_flags_and_ends_api_sessions(admin_api, password):
    other = AdminFactory(username="other-admin")
    client = type(admin_api)()
    refresh = api_login(client, "other-admin", password).json()["refresh_token"]
    assert admin_api.put(f"/api/users/{other.pk}", {"role": "viewer"}, format="json").status_code == 200
    other.refresh_from_db()
    assert not other.is_staff and not other.is_superuser
    assert client.post("/api/auth/refresh", {"refresh_token": refresh}, format="json").status_code == 401


def test_the_last_admin_cannot_be_demoted_or_deleted(admin_user):
    from accounts.services.users import user_delete, user_role_change
    from jutsu.errors import ConflictError

    with pytest.raises(ConflictError):
        user_role_change(user=admin_user, role="viewer")
    with pytest.raises(ConflictError):
        user_delete(user=admin_user)


def test_admins_cannot_demote_or_delete_themselves(admin_api, admin_user):
    AdminFactory(username="second-admin")
    assert admin_api.put(f"/api/users/{admin_user.pk}", {"role": "viewer"}, format="json").status_code == 403
    assert admin_api.delete(f"/api/users/{admin_user.pk}").status_code == 403


def test_admin_deletes_a_user_and_their_events_keep_the_username(admin_api, viewer_user, password, api):
    api_login(api, "viewer", password)
    assert admin_api.delete(f"/api/users/{viewer_user.pk}").status_code == 204
    assert not User.objects.filter(username="viewer").exists()
    assert SecurityEvent.objects.filter(username="viewer", event_type="LOGIN_SUCCESS").exists()
    assert admin_api.get(f"/api/users/{viewer_user.pk}").status_code == 404


def test_invalid_role_is_a_400(admin_api, viewer_user):
    response = admin_api.put(f"/api/users/{viewer_user.pk}", {"role": "superuser"}, format="json")
    assert response.status_code == 400 and "role" in response.json()["detail"]


def test_users_change_their_own_password(api, viewer_user, password):
    tokens = api_login(api, "viewer", password).json()
    client = bearer(api, tokens["access_token"])
    new = "Another-Strong-Pass-7"
    wrong = client.put("/api/users/me/password", {"current_password": "nope", "new_password": new}, format="json")
    assert wrong.status_code == 400
    weak = client.put("/api/users/me/password", {"current_password": password, "new_password": "short"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()["detail"]
    ok = client.put("/api/users/me/password", {"current_password": password, "new_password": new}, format="json")
    assert ok.status_code == 200
    api.credentials()
    assert api.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json").status_code == 401
    assert api_login(api, "viewer", new).status_code == 200
