"""Every endpoint that checks a secret, attacked the same two ways: is it rate limited, and does
malformed input (wrong types, missing fields, huge strings, deep nesting, non-JSON) ever give a 5xx?"""

from __future__ import annotations

import base64
import json

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Invitation
from accounts.services.invitations import invitation_create
from tests.accounts.conftest import enable_totp
from tests.accounts.webauthn_authenticator import SoftAuthenticator
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation_token(admin_user) -> str:
    _invitation, token = invitation_create(created_by=admin_user, role="viewer")
    return token


@pytest.fixture
def callers(viewer_user, invitation_token):
    signed_in = APIClient()
    signed_in.force_authenticate(viewer_user)
    return {"anonymous": APIClient(), "viewer": signed_in, "token": invitation_token}


# (method, path, caller): every endpoint that verifies a password, a code, a passkey or a token.
SECRET_ENDPOINTS = [
    ("post", "/api/auth/login", "anonymous"),
    ("post", "/api/auth/login/2fa", "anonymous"),
    ("post", "/api/passkey/authenticate/options", "anonymous"),
    ("post", "/api/passkey/authenticate", "anonymous"),
    ("post", "/api/invitations/{token}/accept", "anonymous"),
    ("put", "/api/users/me/password", "viewer"),
    ("post", "/api/2fa/verify", "viewer"),
    ("post", "/api/2fa/disable", "viewer"),
    ("post", "/api/2fa/validate", "viewer"),
    ("post", "/api/2fa/backup-codes/regenerate", "viewer"),
    ("post", "/api/passkey/register/options", "viewer"),
    ("post", "/api/passkey/register", "viewer"),
    ("delete", "/api/passkey/1", "viewer"),
]
TOKEN_ENDPOINTS = [("post", "/api/auth/refresh", "anonymous"), ("post", "/api/auth/logout", "anonymous")]

FIELDS = (
    "username",
    "password",
    "code",
    "current_password",
    "new_password",
    "challenge_id",
    "credential",
    "name",
    "email",
    "refresh_token",
)
WRONG_VALUES = {
    "number": 12345,
    "float": 1e308,
    "bool": True,
    "null": None,
    "list": ["a", 1],
    "object": {"a": {"b": 1}},
    "huge_string": "9" * 200_000,
    "nul_bytes": "a\x00b\u0000",
    "unicode": "пароль\u202e\U0001f600",
}
JSON_BODIES = {
    "empty_object": {},
    "array": [1, 2, 3],
    "string": "just a string",
    "number": 7,
    **{f"every_field_{name}": dict.fromkeys(FIELDS, value) for name, value in WRONG_VALUES.items()},
}
RAW_BODIES = {
    "deep_nesting": ("[" * 5000 + "]" * 5000, "application/json"),
    "invalid_json": ('{"code": ', "application/json"),
    "nan": ('{"code": NaN}', "application/json"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff", "application/json"),
    "form_encoded": ("code=123456&password=x", "application/x-www-form-urlencoded"),
    "text": ("code=123456", "text/plain"),
    "xml": ("<code>1</code>", "application/xml"),
}


def _send(client: APIClient, method: str, path: str, body, content_type: str | None = None):
    if content_type is None:
        return getattr(client, method)(path, body, format="json")
    return getattr(client, method)(path, body, content_type=content_type)


def _path(path: str, callers) -> str:
    return path.replace("{token}", callers["token"])


@pytest.mark.parametrize("method, path, who", SECRET_ENDPOINTS + TOKEN_ENDPOINTS, ids=lambda v: str(v))
def test_malformed_json_is_never_a_server_error(callers, method, path, who, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "100000/m")
    answers = {name: _send(callers[who], method, _path(path, callers), body) for name, body in JSON_BODIES.items()}
    server_errors = {name: r.content[:200] for name, r in answers.items() if r.status_code >= 500}
    assert not server_errors
    for response in answers.values():
        assert response.status_code < 400 or set(response.json()) == {"detail", "code"}


@pytest.mark.parametrize("method, path, who", SECRET_ENDPOINTS + TOKEN_ENDPOINTS, ids=lambda v: str(v))
def test_non_json_and_hostile_bodies_are_4xx_naming_the_problem(callers, method, path, who, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "100000/m")
    takes_no_body = path in ("/api/passkey/register/options", "/api/passkey/1")
    for name, (raw, content_type) in RAW_BODIES.items():
        response = _send(callers[who], method, _path(path, callers), raw, content_type)
        assert response.status_code < 500, (name, response.content[:200])
        if response.status_code >= 400:
            assert response.json()["detail"] and response.json()["code"], name
        else:
            assert takes_no_body, (name, response.content[:200])


@pytest.mark.parametrize("method, path, who", SECRET_ENDPOINTS, ids=lambda v: str(v))
def test_every_secret_checking_endpoint_is_rate_limited(callers, method, path, who):
    with time_machine.travel(timezone.now(), tick=False):  # all six in one rate-limit window
        codes = [_send(callers[who], method, _path(path, callers), {}).status_code for _ in range(6)]
    assert 429 not in codes[:5] and codes[5] == 429, codes


# --- passkey ceremonies with a real challenge and a broken browser response -------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _broken_credentials(good: dict) -> dict[str, dict]:
    response = good["response"]
    cases = {
        "no_response": {k: v for k, v in good.items() if k != "response"},
        "response_is_a_list": {**good, "response": [1, 2]},
        "raw_id_not_base64": {**good, "rawId": "!!!***"},
        "raw_id_a_number": {**good, "rawId": 42},
        "client_data_not_json": {**good, "response": {**response, "clientDataJSON": _b64(b"not json")}},
        "client_data_a_list": {**good, "response": {**response, "clientDataJSON": _b64(b"[1, 2]")}},
        "client_data_huge": {**good, "response": {**response, "clientDataJSON": _b64(b"a" * 300_000)}},
        "wrong_type": {**good, "type": "password"},
    }
    for field in response:
        cases[f"{field}_garbage"] = {**good, "response": {**response, field: _b64(b"\xff\x00garbage")}}
        cases[f"{field}_null"] = {**good, "response": {**response, field: None}}
        cases[f"{field}_object"] = {**good, "response": {**response, field: {"a": 1}}}
    return cases


def _register_options(client) -> dict:
    response = client.post("/api/passkey/register/options", format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_broken_registration_responses_are_refused_without_a_server_error(viewer_user, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "100000/m")
    client = APIClient()
    client.force_authenticate(viewer_user)
    authenticator = SoftAuthenticator()
    good = authenticator.create(_register_options(client))
    codes = {}
    for name, credential in _broken_credentials(good).items():
        options = _register_options(client)
        body = {"challenge_id": options["challenge_id"], "credential": credential, "name": "x"}
        body["current_password"] = TEST_PASSWORD  # past the presence check, so the credential is what is tested
        codes[name] = client.post("/api/passkey/register", body, format="json").status_code
    assert all(400 <= code < 500 for code in codes.values()), codes


def test_broken_assertions_are_refused_without_a_server_error(viewer_user, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "100000/m")
    client = APIClient()
    client.force_authenticate(viewer_user)
    authenticator = SoftAuthenticator()
    options = _register_options(client)
    registered = client.post(
        "/api/passkey/register",
        {
            "challenge_id": options["challenge_id"],
            "credential": authenticator.create(options),
            "name": "k",
            "current_password": TEST_PASSWORD,
        },
        format="json",
    )
    assert registered.status_code == 201, registered.content
    anonymous = APIClient()
    begin = anonymous.post("/api/passkey/authenticate/options", {}, format="json").json()
    good = authenticator.get(begin)
    codes = {}
    for name, credential in _broken_credentials(good).items():
        challenge = anonymous.post("/api/passkey/authenticate/options", {}, format="json").json()["challenge_id"]
        body = {"challenge_id": challenge, "credential": credential}
        codes[name] = anonymous.post("/api/passkey/authenticate", body, format="json").status_code
    assert all(400 <= code < 500 for code in codes.values()), codes


def test_the_two_factor_endpoints_survive_hostile_codes_once_totp_is_on(viewer_user, monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "100000/m")
    client = APIClient()
    client.force_authenticate(viewer_user)
    enable_totp(client)
    hostile = ["", " ", "0" * 32, "１２３４５６", "12345\x00", "-" * 32, "ａｂｃｄｅ-ｆｇｈｊｋ", "ß" * 32]
    for path in ("/api/2fa/disable", "/api/2fa/validate", "/api/2fa/backup-codes/regenerate"):
        for code in hostile:
            response = client.post(path, {"code": code}, format="json")
            assert 400 <= response.status_code < 500, (path, code, response.content)


def test_an_accepted_invitation_stays_single_use_under_hostile_input(invitation_token):
    client = APIClient()
    for body in ({"username": ["a"], "password": {"x": 1}}, {"username": "a" * 151, "password": "x" * 5000}):
        assert client.post(f"/api/invitations/{invitation_token}/accept", body, format="json").status_code == 400
    assert Invitation.objects.get().status == "pending"
    assert json.loads(client.get(f"/api/invitations/{invitation_token}").content)["valid"] is True
