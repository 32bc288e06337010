"""When a second factor was last verified (sign-in, re-check) — what switching to live money asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.accounts.conftest import api_login, bearer, enable_totp, totp_now

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, 10, tzinfo=UTC)  # 10 s into a TOTP step


def _signed_in(password: str) -> APIClient:
    """The viewer signed in through the API (JWT) — enabling TOTP needs a signed-in caller."""
    client = APIClient()
    return bearer(client, api_login(client, "viewer", password).json()["access_token"])


def _verified_at(user):
    user.refresh_from_db()
    return user.second_factor_verified_at


def test_signing_in_with_a_code_or_a_backup_code_records_the_check(api, viewer_user, password):
    with time_machine.travel(T0, tick=False):
        secret, codes = enable_totp(_signed_in(password))
    assert _verified_at(viewer_user) is None  # enabling is not a sign-in
    signed_in_at = T0 + timedelta(seconds=40)  # the next TOTP step: the enabling code is spent
    with time_machine.travel(signed_in_at, tick=False):
        payload = {"username": "viewer", "password": password, "code": totp_now(secret, at=signed_in_at.timestamp())}
        assert api.post("/api/auth/login/2fa", payload, format="json").status_code == 200
    assert _verified_at(viewer_user) == signed_in_at
    later = T0 + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        payload = {"username": "viewer", "password": password, "code": codes[0]}
        assert api.post("/api/auth/login/2fa", payload, format="json").status_code == 200
    assert _verified_at(viewer_user) == later


def test_a_wrong_code_records_nothing(api, viewer_user, password):
    viewer_client = _signed_in(password)
    enable_totp(viewer_client)
    payload = {"username": "viewer", "password": password, "code": "000000"}
    assert api.post("/api/auth/login/2fa", payload, format="json").status_code == 401
    assert viewer_client.post("/api/2fa/validate", {"code": "000000"}, format="json").status_code == 400
    assert _verified_at(viewer_user) is None


def test_an_admin_switches_to_live_within_five_minutes_of_a_code_and_validates_again_later(api, admin_user, password):
    from trading.services.engine import engine_status

    with time_machine.travel(T0, tick=False):
        token = api.post("/api/auth/login", {"username": "admin", "password": password}, format="json")
        bearer(api, token.json()["access_token"])
        secret, _ = enable_totp(api)
    live = {"mode": "online_live", "confirm": "YES"}
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        refused = api.post("/api/control/mode", live, format="json")  # signed in with the password only
        assert refused.status_code == 403 and "within the last 5 minutes" in refused.json()["detail"]
        code = totp_now(secret, at=(T0 + timedelta(minutes=1)).timestamp())
        assert api.post("/api/2fa/validate", {"code": code}, format="json").status_code == 200
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert api.post("/api/control/mode", live, format="json").status_code == 200
    assert engine_status()["mode"] == "online_live"
    with time_machine.travel(T0 + timedelta(minutes=6, seconds=1), tick=False):
        back = api.post("/api/control/mode", {"mode": "paper"}, format="json")  # leaving live needs nothing more
        assert back.status_code == 200
        again = api.post("/api/control/mode", live, format="json")
        assert again.status_code == 403
