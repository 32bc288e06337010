"""Lockout: 10 consecutive failures lock for 30 minutes (both configurable), success resets the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import SecurityEvent
from tests.accounts.conftest import api_login

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def generous_rate_limit(monkeypatch):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "1000/m")  # these tests are about the lockout, not the rate limit


def fail(api, times: int, username: str = "viewer"):
    return [api_login(api, username, f"wrong-{i}").status_code for i in range(times)]


def test_ten_failures_lock_the_account_for_thirty_minutes(api, viewer_user, password):
    with time_machine.travel(START, tick=False) as clock:
        assert fail(api, 10) == [401] * 10
        viewer_user.refresh_from_db()
        assert viewer_user.locked_until == START + timedelta(minutes=30)
        locked = api_login(api, "viewer", password)
        assert locked.status_code == 401 and locked.json()["code"] == "account_locked"
        event = SecurityEvent.objects.get(event_type="ACCOUNT_LOCKED")
        assert event.severity == "HIGH" and event.details["failed_login_count"] == 10

        clock.move_to(START + timedelta(minutes=29, seconds=59))
        assert api_login(api, "viewer", password).status_code == 401

        clock.move_to(START + timedelta(minutes=30, seconds=1))
        assert api_login(api, "viewer", password).status_code == 200
        viewer_user.refresh_from_db()
        assert viewer_user.failed_login_count == 0 and viewer_user.locked_until is None


def test_nine_failures_then_success_reset_the_count(api, viewer_user, password):
    fail(api, 9)
    assert api_login(api, "viewer", password).status_code == 200
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 0
    fail(api, 9)
    assert api_login(api, "viewer", password).status_code == 200


def test_failures_during_the_lock_do_not_extend_it(api, viewer_user):
    with time_machine.travel(START, tick=False) as clock:
        fail(api, 10)
        clock.move_to(START + timedelta(minutes=20))
        fail(api, 5)
        viewer_user.refresh_from_db()
        assert viewer_user.locked_until == START + timedelta(minutes=30)


def test_after_the_lock_expires_the_count_starts_afresh(api, viewer_user, password):
    with time_machine.travel(START, tick=False) as clock:
        fail(api, 10)
        clock.move_to(START + timedelta(minutes=31))
        assert fail(api, 1) == [401]
        viewer_user.refresh_from_db()
        assert viewer_user.failed_login_count == 1 and viewer_user.locked_until is None


def test_threshold_and_duration_are_configurable(api, viewer_user, password, monkeypatch):
    monkeypatch.setenv("LOCKOUT_THRESHOLD", "3")
    monkeypatch.setenv("LOCKOUT_MINUTES", "5")
    with time_machine.travel(START, tick=False) as clock:
        fail(api, 3)
        viewer_user.refresh_from_db()
        assert viewer_user.locked_until == START + timedelta(minutes=5)
        clock.move_to(START + timedelta(minutes=5, seconds=1))
        assert api_login(api, "viewer", password).status_code == 200


def test_a_locked_account_cannot_sign_in_on_the_page_either(client, viewer_user, password):
    with time_machine.travel(START, tick=False):
        for i in range(10):
            client.post("/accounts/login/", {"login": "viewer", "password": f"wrong-{i}"})
        response = client.post("/accounts/login/", {"login": "viewer", "password": password})
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_page_and_api_failures_share_one_counter(api, client, viewer_user):
    client.post("/accounts/login/", {"login": "viewer", "password": "wrong"})
    fail(api, 1)
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 2
