"""Fixtures for the accounts tests: an isolated cache per test, API sign-in helpers, TOTP codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
import uuid

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Rate-limit counters and used-code marks start empty in every test, even on a shared Redis."""
    cache = dict(django_settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"accounts-test-{uuid.uuid4().hex}"
    settings.CACHES = {**django_settings.CACHES, "default": cache}
    yield


def totp_now(secret: str, *, at: float | None = None, step_offset: int = 0) -> str:
    """RFC 6238 code (SHA-1, 6 digits, 30 s) computed independently of the code under test."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(at if at is not None else time.time()) // 30 + step_offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 15
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def api_login(client: APIClient, username: str, password: str):
    return client.post("/api/auth/login", {"username": username, "password": password}, format="json")


def bearer(client: APIClient, access_token: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


def enable_totp(client: APIClient, password: str = TEST_PASSWORD) -> tuple[str, list[str]]:
    """Set up and confirm TOTP for the client's user (whose current password is ``password``); returns
    (secret, backup codes)."""
    setup = client.post("/api/2fa/setup", format="json")
    assert setup.status_code == 200, setup.content
    secret = setup.json()["secret"]
    verify = client.post("/api/2fa/verify", {"code": totp_now(secret), "current_password": password}, format="json")
    assert verify.status_code == 200, verify.content
    return secret, verify.json()["backup_codes"]
