"""``/api/auth/*``: password sign-in, JWT claims and lifetimes, refresh rotation, logout blacklist."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
import time_machine
from django.utils import timezone

from accounts.models import SecurityEvent
from tests.accounts.conftest import api_login, bearer

pytestmark = pytest.mark.django_db


def test_login_returns_a_bearer_token_pair(api, viewer_user, password):
    response = api_login(api, "viewer", password)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert {"access_token", "refresh_token"} <= body.keys()
    assert SecurityEvent.objects.filter(event_type="LOGIN_SUCCESS", user=viewer_user).exists()
    assert SecurityEvent.objects.filter(event_type="TOKEN_CREATED", user=viewer_user).exists()


def test_tokens_carry_sub_type_exp_iat_with_15_minute_and_7_day_lifetimes(api, viewer_user, password):
    body = api_login(api, "viewer", password).json()
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    refresh = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    assert access["sub"] == str(viewer_user.pk) and access["type"] == "access"
    assert refresh["sub"] == str(viewer_user.pk) and refresh["type"] == "refresh"
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600


def test_me_returns_username_role_and_permissions(api, viewer_user, password):
    body = api_login(api, "viewer", password).json()
    me = bearer(api, body["access_token"]).get("/api/auth/me")
    assert me.status_code == 200
    data = me.json()
    assert data["username"] == "viewer" and data["role"] == "viewer"
    assert "users:manage" not in data["permissions"] and "dashboard:read" in data["permissions"]
    assert data["two_factor"]["enabled"] is False


def test_wrong_password_and_unknown_user_are_the_same_401(api, viewer_user):
    wrong = api_login(api, "viewer", "not-the-password")
    unknown = api_login(api, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Invalid username or password"
    assert SecurityEvent.objects.filter(event_type="LOGIN_FAILURE").count() == 2


def test_missing_fields_are_a_400_naming_the_field(api):
    response = api.post("/api/auth/login", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer x.y.z", "Bearer ", "Token abc"])
def test_garbage_token_is_401_and_recorded(api, header):
    response = api.get("/api/auth/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    if header.startswith("Bearer x"):
        assert SecurityEvent.objects.filter(event_type="TOKEN_INVALID").exists()


def test_missing_token_is_401(api):
    assert api.get("/api/auth/me").status_code == 401


def test_expired_access_token_is_401(api, viewer_user, password):
    body = api_login(api, "viewer", password).json()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert bearer(api, body["access_token"]).get("/api/auth/me").status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api, viewer_user, password):
    first = api_login(api, "viewer", password).json()
    rotated = api.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(api, second["access_token"]).get("/api/auth/me").status_code == 200
    reused = api.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}, format="json")
    assert reused.status_code == 401
    assert SecurityEvent.objects.filter(event_type="TOKEN_REFRESHED", user=viewer_user).count() == 1
    suspicious = SecurityEvent.objects.get(event_type="SUSPICIOUS_ACTIVITY")
    assert suspicious.severity == "HIGH" and suspicious.details["reason"] == "revoked_refresh_token_reused"


def test_logout_blacklists_the_refresh_token(api, viewer_user, password):
    body = api_login(api, "viewer", password).json()
    out = api.post("/api/auth/logout", {"refresh_token": body["refresh_token"]}, format="json")
    assert out.status_code == 200
    again = api.post("/api/auth/refresh", {"refresh_token": body["refresh_token"]}, format="json")
    assert again.status_code == 401
    assert SecurityEvent.objects.filter(event_type="LOGOUT", user=viewer_user).exists()


def test_refresh_token_of_a_deactivated_user_is_refused(api, viewer_user, password):
    body = api_login(api, "viewer", password).json()
    viewer_user.is_active = False
    viewer_user.save()
    assert api.post("/api/auth/refresh", {"refresh_token": body["refresh_token"]}, format="json").status_code == 401


def test_an_access_token_is_not_a_refresh_token(api, viewer_user, password):
    body = api_login(api, "viewer", password).json()
    assert api.post("/api/auth/refresh", {"refresh_token": body["access_token"]}, format="json").status_code == 401
    assert bearer(api, body["refresh_token"]).get("/api/auth/me").status_code == 401


def test_status_is_public_and_reports_the_caller(api, viewer_user, password):
    anonymous = api.get("/api/auth/status").json()
    assert anonymous["authenticated"] is False and anonymous["auth_required"] is True
    body = api_login(api, "viewer", password).json()
    signed_in = bearer(api, body["access_token"]).get("/api/auth/status").json()
    assert signed_in["authenticated"] is True and signed_in["user"]["role"] == "viewer"


def test_inactive_user_cannot_sign_in(api, viewer_user, password):
    viewer_user.is_active = False
    viewer_user.save()
    assert api_login(api, "viewer", password).status_code == 401
