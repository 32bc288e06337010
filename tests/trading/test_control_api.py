"""Engine control API: start/stop/restart/state/mode, the live-switch guard (YES + a recent second factor),
flatten, data staleness and the manual data refresh."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator

from accounts.services.second_factors import second_factor_verified_record
from jutsu.models import SecurityEvent
from tests.trading.ledger_helpers import live_quotes_at, trade
from trading.models import EngineState, LiveTrade, Position
from trading.services.engine import engine_status

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LIVE = {"mode": "online_live", "confirm": "YES"}


@pytest.fixture
def second_factor(admin_user):
    """The admin has a TOTP app (its secret is irrelevant here: the guard checks enrolment and recency)."""
    Authenticator.objects.create(user=admin_user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return admin_user


def test_viewers_read_the_state_and_admins_start_and_stop(viewer_api, admin_api):
    state = viewer_api.get("/api/control/state")
    assert state.status_code == 200 and (state.json()["state"], state.json()["mode"]) == ("stopped", "paper")
    assert viewer_api.post("/api/control/start", {"mode": "paper"}, format="json").status_code == 403
    started = admin_api.post("/api/control/start", {"mode": "dry_run"}, format="json")
    assert started.status_code == 200 and (started.json()["state"], started.json()["mode"]) == ("running", "dry_run")
    assert admin_api.post("/api/control/stop").json()["state"] == "stopped"
    restarted = admin_api.post("/api/control/restart", {}, format="json").json()
    assert (restarted["state"], restarted["mode"]) == ("running", "dry_run")
    assert EngineState.objects.get().updated_by.username == "admin"


def test_a_viewer_cannot_switch_to_live_mode(viewer_api):
    response = viewer_api.post("/api/control/mode", LIVE, format="json")
    assert response.status_code == 403
    assert engine_status()["mode"] == "paper"


def test_switching_to_live_without_the_typed_yes_is_refused(admin_api, second_factor):
    second_factor_verified_record(user=second_factor)
    for body in ({"mode": "online_live"}, {"mode": "online_live", "confirm": "yes"}):
        response = admin_api.post("/api/control/mode", body, format="json")
        assert response.status_code == 400 and response.json()["detail"].startswith("confirm:")
    assert engine_status()["mode"] == "paper"


def test_an_admin_without_a_second_factor_cannot_switch_to_live(admin_api):
    response = admin_api.post("/api/control/start", LIVE, format="json")
    assert response.status_code == 403 and "needs a second factor" in response.json()["detail"]
    assert engine_status()["state"] == "stopped"
    assert SecurityEvent.objects.filter(event_type="ACCESS_DENIED", details__reason="no_second_factor").exists()


def test_a_second_factor_verified_more_than_five_minutes_ago_is_stale(admin_api, second_factor):
    with time_machine.travel(NOW, tick=False):
        second_factor_verified_record(user=second_factor)
    with time_machine.travel(NOW + timedelta(minutes=5, seconds=1), tick=False):
        response = admin_api.post("/api/control/mode", LIVE, format="json")
    assert response.status_code == 403 and "within the last 5 minutes" in response.json()["detail"]
    assert engine_status()["mode"] == "paper"


def test_a_fresh_second_factor_and_yes_switch_to_live_with_a_high_event(admin_api, second_factor):
    with time_machine.travel(NOW, tick=False):
        second_factor_verified_record(user=second_factor)
    with time_machine.travel(NOW + timedelta(minutes=4), tick=False):
        response = admin_api.post("/api/control/mode", LIVE, format="json")
    assert response.status_code == 200 and response.json()["mode"] == "online_live"
    event = SecurityEvent.objects.get(event_type="MODE_CHANGED")
    assert (event.severity, event.username, event.details["to"]) == ("HIGH", "admin", "online_live")


def test_restarting_an_engine_that_is_live_needs_the_guard_too(admin_api, second_factor):
    EngineState.objects.update_or_create(pk=1, defaults={"mode": "online_live", "state": "stopped"})
    assert admin_api.post("/api/control/restart", {}, format="json").status_code == 400  # no YES
    second_factor_verified_record(user=second_factor)
    assert admin_api.post("/api/control/restart", {"confirm": "YES"}, format="json").json()["state"] == "running"


def test_flatten_needs_yes_and_sells_everything_as_manual_trades(admin_api, viewer_api, monkeypatch):
    live_quotes_at(monkeypatch, "120")
    from strategies.services.registry import strategies_sync

    strategies_sync()
    trade("v3_5b", "BUY", "QQQ", 10, "100", date(2020, 6, 25))
    body = {"strategy_id": "v3_5b", "mode": "paper", "confirm": ""}
    assert viewer_api.post("/api/control/flatten", {**body, "confirm": "YES"}, format="json").status_code == 403
    refused = admin_api.post("/api/control/flatten", body, format="json")
    assert refused.status_code == 400 and "confirm with 'YES'" in refused.json()["detail"]
    done = admin_api.post("/api/control/flatten", {**body, "confirm": "YES"}, format="json")
    assert done.status_code == 200 and done.json()["sold"] == {"QQQ": 10}
    assert Position.objects.get(symbol="QQQ").quantity == 0
    sell = LiveTrade.objects.get(action="SELL")
    assert sell.reason == "Manual" and sell.order.client_order_id.endswith(":flatten:1")


def test_data_staleness_names_every_symbol_in_use(viewer_api, django_assert_max_num_queries):
    from strategies.services.registry import strategies_sync
    from tests.trading.test_refresh import _bars

    strategies_sync()
    _bars("QQQ", [("2020-06-29", "100", "104", "99", "103", 5000)])
    with time_machine.travel(datetime(2020, 6, 30, 22, 0, tzinfo=UTC), tick=False):
        body = viewer_api.get("/api/control/data-staleness").json()
    assert body["expected_session"] == "2020-06-30" and body["stale"] is True
    rows = {r["symbol"]: r for r in body["symbols"]}
    assert {"QQQ", "TQQQ", "TLT"} <= set(rows)
    assert (rows["QQQ"]["last_bar"], rows["QQQ"]["sessions_behind"], rows["QQQ"]["stale"]) == ("2020-06-29", 1, False)
    assert rows["TQQQ"]["last_bar"] is None and rows["TQQQ"]["stale"] is True


def test_a_data_refresh_queues_the_sync_then_the_refresh(admin_api, viewer_api, django_capture_on_commit_callbacks):
    from jutsu.celery import app
    from jutsu.models import JobRun

    assert viewer_api.post("/api/control/data-refresh").status_code == 403
    app.conf.task_always_eager = True
    try:
        with (
            time_machine.travel(datetime(2020, 6, 30, 22, 0, tzinfo=UTC), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = admin_api.post("/api/control/data-refresh")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 202 and response.json()["queued"] == ["market_data_sync", "market_close_refresh"]
    runs = list(JobRun.objects.order_by("id").values_list("job_name", "trigger"))
    assert runs == [("market_data_sync", "api"), ("market_close_refresh", "api")]
