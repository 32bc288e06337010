"""Security events: every type the accounts flows write, with its severity; append-only; read-only admin."""

from __future__ import annotations

import json
import logging

import pytest
import time_machine
from django.utils import timezone

from accounts.models import SecurityEvent
from jutsu.models import SecurityEventType
from jutsu.security import DEFAULT_SEVERITY, security_event_record
from tests.accounts.conftest import api_login, bearer, enable_totp
from tests.accounts.webauthn_authenticator import SoftAuthenticator
from tests.factories import TEST_PASSWORD, AdminFactory

pytestmark = pytest.mark.django_db

# The severity each event type must carry (spec: LOW / MEDIUM / HIGH / CRITICAL).
EXPECTED_SEVERITY = {
    "LOGIN_SUCCESS": "LOW",
    "LOGIN_FAILURE": "MEDIUM",
    "LOGOUT": "LOW",
    "ACCOUNT_LOCKED": "HIGH",
    "TOKEN_CREATED": "LOW",
    "TOKEN_REFRESHED": "LOW",
    "TOKEN_INVALID": "MEDIUM",
    "OAUTH_INITIATED": "MEDIUM",
    "OAUTH_COMPLETED": "MEDIUM",
    "OAUTH_FAILED": "HIGH",
    "OAUTH_TOKEN_DELETED": "HIGH",
    "ACCESS_DENIED": "MEDIUM",
    "RATE_LIMITED": "MEDIUM",
    "SUSPICIOUS_ACTIVITY": "HIGH",
    "2FA_ENABLED": "MEDIUM",
    "2FA_DISABLED": "HIGH",
    "2FA_SUCCESS": "LOW",
    "2FA_FAILURE": "MEDIUM",
    "PASSKEY_REGISTERED": "MEDIUM",
    "PASSKEY_AUTHENTICATED": "LOW",
    "PASSKEY_AUTH_FAILED": "MEDIUM",
    "PASSKEY_REVOKED": "MEDIUM",
    "USER_INVITED": "MEDIUM",
    "INVITATION_ACCEPTED": "MEDIUM",
    "ROLE_CHANGED": "HIGH",
    "CONFIG_OVERRIDE_CHANGED": "MEDIUM",
    "MODE_CHANGED": "HIGH",
}
# Written by other apps (broker OAuth, configuration, trading mode): their own tests cover the flows.
OTHER_APPS = {
    "OAUTH_INITIATED",
    "OAUTH_COMPLETED",
    "OAUTH_FAILED",
    "OAUTH_TOKEN_DELETED",
    "CONFIG_OVERRIDE_CHANGED",
    "MODE_CHANGED",
}


def test_every_spec_event_type_exists_with_its_severity():
    assert set(SecurityEventType.values) == set(EXPECTED_SEVERITY)
    assert {str(k): str(v) for k, v in DEFAULT_SEVERITY.items()} == EXPECTED_SEVERITY


@pytest.mark.parametrize("event_type", sorted(EXPECTED_SEVERITY))
def test_each_type_is_stored_and_logged_as_json_with_its_severity(event_type, rf, viewer_user, caplog):
    request = rf.post("/x", HTTP_USER_AGENT="pytest-agent", REMOTE_ADDR="192.0.2.9")
    with caplog.at_level(logging.INFO, logger="jutsu.security"):
        event = security_event_record(event_type, user=viewer_user, request=request, details={"k": "v"})
    assert event.severity == EXPECTED_SEVERITY[event_type]
    assert (event.username, event.client_ip, event.user_agent) == ("viewer", "192.0.2.9", "pytest-agent")
    line = json.loads(caplog.records[-1].getMessage())
    assert line["event"] == event_type and line["severity"] == EXPECTED_SEVERITY[event_type]
    assert line["client_ip"] == "192.0.2.9" and line["username"] == "viewer" and line["details"] == {"k": "v"}


def test_the_accounts_flows_write_every_accounts_event_type(api, anon_api, viewer_user, password, monkeypatch):
    """One pass through the flows; afterwards each accounts event type exists with the right severity."""
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "1000/m")
    AdminFactory(username="boss")
    admin = bearer(type(api)(), api_login(type(api)(), "boss", password).json()["access_token"])

    api_login(api, "viewer", "wrong")  # LOGIN_FAILURE
    tokens = api_login(api, "viewer", password).json()  # LOGIN_SUCCESS, TOKEN_CREATED
    rotated = api.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json").json()
    api.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")  # SUSPICIOUS_ACTIVITY
    api.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer x.y.z")  # TOKEN_INVALID
    viewer = bearer(api, rotated["access_token"])
    viewer.get("/api/users")  # ACCESS_DENIED
    _secret, codes = enable_totp(viewer)  # 2FA_ENABLED
    viewer.post("/api/2fa/validate", {"code": "000000"}, format="json")  # 2FA_FAILURE
    viewer.post("/api/2fa/validate", {"code": codes[0]}, format="json")  # 2FA_SUCCESS
    viewer.post("/api/2fa/disable", {"code": codes[1]}, format="json")  # 2FA_DISABLED
    device = SoftAuthenticator()
    options = viewer.post("/api/passkey/register/options", format="json").json()
    passkey = viewer.post(
        "/api/passkey/register",
        {
            "challenge_id": options["challenge_id"],
            "credential": device.create(options),
            "current_password": TEST_PASSWORD,
        },
        format="json",
    ).json()  # PASSKEY_REGISTERED
    anon_api.credentials()
    auth_options = anon_api.post("/api/passkey/authenticate/options", {}, format="json").json()
    anon_api.post(
        "/api/passkey/authenticate",
        {"challenge_id": auth_options["challenge_id"], "credential": device.get(auth_options)},
        format="json",
    )  # PASSKEY_AUTHENTICATED
    anon_api.post("/api/passkey/authenticate", {"challenge_id": "nope", "credential": {}}, format="json")
    viewer.delete(f"/api/passkey/{passkey['id']}", {"current_password": TEST_PASSWORD}, format="json")  # REVOKED
    viewer.post("/api/auth/logout", {"refresh_token": rotated["refresh_token"]}, format="json")  # LOGOUT
    invitation = admin.post("/api/users/invite", {"role": "viewer"}, format="json").json()  # USER_INVITED
    anon_api.post(
        f"/api/invitations/{invitation['token']}/accept",
        {"username": "invitee", "password": "Invitee-Pass-1234"},
        format="json",
    )  # INVITATION_ACCEPTED
    admin.put(f"/api/users/{viewer_user.pk}", {"role": "admin"}, format="json")  # ROLE_CHANGED
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "1/m")
    with time_machine.travel(timezone.now(), tick=False):  # both in one rate-limit window
        for _ in range(2):
            api_login(type(api)(), "invitee", "wrong")  # RATE_LIMITED
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "1000/m")
    for i in range(10):
        api_login(type(api)(), "invitee", f"wrong-{i}")  # ACCOUNT_LOCKED

    written = {e.event_type: e.severity for e in SecurityEvent.objects.all()}
    expected = {t: s for t, s in EXPECTED_SEVERITY.items() if t not in OTHER_APPS}
    missing = sorted(set(expected) - set(written))
    assert not missing, f"never written: {missing}"
    assert {t: written[t] for t in expected} == expected


def test_events_are_append_only(viewer_user):
    event = security_event_record("LOGIN_SUCCESS", user=viewer_user)
    event.details = {"tampered": True}
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        SecurityEvent.objects.filter(pk=event.pk).update(severity="LOW")
    with pytest.raises(PermissionError):
        SecurityEvent.objects.all().delete()


def test_deleting_a_user_keeps_their_events(viewer_user):
    security_event_record("LOGIN_SUCCESS", user=viewer_user)
    viewer_user.delete()
    event = SecurityEvent.objects.get()
    assert event.user is None and event.username == "viewer"


def test_admin_can_filter_but_not_change_events(admin_client, viewer_user):
    event = security_event_record("ACCOUNT_LOCKED", user=viewer_user)
    listing = admin_client.get("/admin/jutsu/securityevent/?severity__exact=HIGH")
    assert listing.status_code == 200 and "ACCOUNT_LOCKED" in listing.content.decode()
    assert admin_client.get("/admin/jutsu/securityevent/add/").status_code == 403
    assert admin_client.post(f"/admin/jutsu/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    change = admin_client.post(f"/admin/jutsu/securityevent/{event.pk}/change/", {"severity": "LOW"})
    assert change.status_code == 403
    event = SecurityEvent.objects.get(pk=event.pk)
    assert event.severity == "HIGH"


def test_credentials_in_details_are_redacted(viewer_user):
    event = security_event_record("LOGIN_FAILURE", user=viewer_user, details={"password": "hunter2", "otp": "123456"})
    assert event.details == {"password": "[redacted]", "otp": "[redacted]"}
