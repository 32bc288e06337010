"""No password, token, TOTP secret, backup code or invitation token reaches a log line.

The auth flows run with every logger at DEBUG through a handler that copies the configured console
handler (its formatter and filters), so the assertion is about the lines operators would see. With
``DEBUG=True`` Django also logs every SQL statement with its parameters: those must be clean too.
"""

from __future__ import annotations

import io
import logging

import pytest

from tests.accounts.conftest import api_login, bearer, enable_totp, totp_now
from tests.accounts.webauthn_authenticator import SoftAuthenticator
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    root = logging.getLogger()
    console = next(h for h in root.handlers if h.get_name() == "console")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.formatter)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    previous = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    quiet = {}
    for name in ("django.db.backends", "jutsu", "accounts", "fido2", "django.request", "allauth"):
        logger = logging.getLogger(name)
        quiet[name] = logger.level
        logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on-sql-logged"])
def test_auth_flows_log_no_credentials(debug, settings, log_output, api, client, admin_user, password, monkeypatch):
    settings.DEBUG = debug
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "1000/m")
    secrets: list[str] = [password]

    # page sign-in, then the admin's API session
    client.post("/accounts/login/", {"login": "admin", "password": password})
    admin_tokens = api_login(api, "admin", password).json()
    secrets += [admin_tokens["access_token"], admin_tokens["refresh_token"]]
    admin = bearer(api, admin_tokens["access_token"])

    # invitation (token in the URL path) and acceptance with a new password
    invitation = admin.post("/api/users/invite", {"role": "viewer", "email": "v@example.com"}, format="json").json()
    new_password = "Invited-Viewer-Pass-77"
    secrets += [invitation["token"], new_password]
    anon = type(api)()
    anon.get(f"/api/invitations/{invitation['token']}")
    accepted = anon.post(
        f"/api/invitations/{invitation['token']}/accept",
        {"username": "logviewer", "password": new_password},
        format="json",
    ).json()
    secrets += [accepted["access_token"], accepted["refresh_token"]]
    client.get(f"/accounts/invitations/{invitation['token']}/")

    # TOTP: secret, backup codes, second-factor login, a failed code
    viewer = bearer(type(api)(), accepted["access_token"])
    secret, codes = enable_totp(viewer, password=new_password)
    secrets += [secret, *codes, *(c.replace("-", "") for c in codes)]
    second = anon.post(
        "/api/auth/login/2fa",
        {"username": "logviewer", "password": new_password, "code": totp_now(secret, step_offset=1)},
        format="json",
    ).json()
    secrets += [second["access_token"], second["refresh_token"]]
    anon.post(
        "/api/auth/login/2fa", {"username": "logviewer", "password": new_password, "code": codes[0]}, format="json"
    )
    anon.post("/api/auth/login/2fa", {"username": "logviewer", "password": "Wrong-Pass-99", "code": "1"}, format="json")

    # rotation, reuse, logout, a bad bearer token
    rotated = anon.post("/api/auth/refresh", {"refresh_token": second["refresh_token"]}, format="json").json()
    secrets += [rotated["access_token"], rotated["refresh_token"]]
    anon.post("/api/auth/refresh", {"refresh_token": second["refresh_token"]}, format="json")
    anon.post("/api/auth/logout", {"refresh_token": rotated["refresh_token"]}, format="json")
    anon.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}x")

    # passkey registration and a password change
    device = SoftAuthenticator()
    options = viewer.post("/api/passkey/register/options", format="json").json()
    viewer.post(
        "/api/passkey/register",
        {
            "challenge_id": options["challenge_id"],
            "credential": device.create(options),
            "current_password": TEST_PASSWORD,
        },
        format="json",
    )
    changed = "Changed-Viewer-Pass-88"
    secrets.append(changed)
    viewer.put("/api/users/me/password", {"current_password": new_password, "new_password": changed}, format="json")

    output = log_output.getvalue()
    assert "POST /api/auth/login" in output, "the capture must see the access log"
    assert "/api/invitations/****" in output, "invitation paths are logged masked"
    if debug:
        assert "INSERT INTO" in output, "with DEBUG on, SQL statements are part of the capture"
    leaked = [s[:12] + "…" for s in secrets if s and s in output]
    assert not leaked, f"secrets in the log: {leaked}"
