"""Status API: platform status, regime per active strategy, strategies' engine-level state (bounded queries)."""

from __future__ import annotations

from datetime import date

import pytest

from jutsu.scheduler.runner import job_run
from tests.trading.conftest import close_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(real_market, engine_paper, monkeypatch):
    """Two sessions of paper trading at the close (real bars)."""
    monkeypatch.setenv("EXECUTION_TIME", "close")
    for day in (date(2020, 6, 29), date(2020, 6, 30)):
        run = job_run("daily_trading", as_of=close_of(day), trigger="manual")
        assert run.status == "success", run.message


def test_strategy_state_shows_account_positions_regime_and_last_run(viewer_api, traded, django_assert_num_queries):
    with django_assert_num_queries(6):  # strategy, engine, accounts, positions, regimes, last results
        response = viewer_api.get("/api/strategies/v3_5b/state")
    assert response.status_code == 200
    state = response.json()
    assert (state["strategy_id"], state["mode"], state["engine_mode"], state["is_primary"]) == (
        "v3_5b",
        "paper",
        "paper",
        True,
    )
    assert state["account"]["started_on"] == "2020-06-29" and state["account"]["last_trading_date"] == "2020-06-30"
    assert state["positions"] and all(float(p["quantity"]) > 0 for p in state["positions"])
    equity = float(state["account"]["cash"]) + sum(float(p["market_value"]) for p in state["positions"])
    assert float(state["account"]["equity"]) == pytest.approx(equity)
    assert state["regime"]["trading_date"] == "2020-06-30" and state["regime"]["cell"] is not None
    assert state["last_run"]["trading_date"] == "2020-06-30" and state["last_run"]["status"] in ("traded", "held")
    primary = viewer_api.get("/api/strategies/primary/state").json()
    assert primary["strategy_id"] == "v3_5b"
    missing = viewer_api.get("/api/strategies/nope/state")
    assert missing.status_code == 404 and "unknown strategy 'nope'" in missing.json()["detail"]


def test_strategies_status_reads_every_active_strategy_in_constant_queries(
    viewer_api, traded, django_assert_num_queries
):
    with django_assert_num_queries(6):  # the same six queries for any number of strategies
        body = viewer_api.get("/api/strategies/status").json()
    assert [s["strategy_id"] for s in body["strategies"]] == ["v3_5b", "v3_5d"]
    assert all(s["account"] and s["regime"] for s in body["strategies"])
    none_in_mode = viewer_api.get("/api/strategies/status", {"mode": "dry_run"}).json()
    assert all(s["account"] is None and s["regime"] is None for s in none_in_mode["strategies"])


def test_regime_status_lists_each_active_strategy_latest_regime(viewer_api, traded):
    body = viewer_api.get("/api/status/regime").json()
    assert body["engine_mode"] == "paper"
    regimes = {s["strategy_id"]: s["regime"] for s in body["strategies"]}
    assert set(regimes) == {"v3_5b", "v3_5d"}
    assert all(r["trading_date"] == "2020-06-30" and r["validation"]["grade"] is None for r in regimes.values())


def test_platform_status_names_engine_schedule_freshness_and_last_run(viewer_api, traded):
    from jutsu.scheduler.schedules import schedules_sync

    schedules_sync()
    body = viewer_api.get("/api/status").json()
    engine = body["engine"]
    assert (engine["state"], engine["mode"], engine["execution_count"]) == ("running", "paper", 2)
    jobs = {j["job"]: j for j in body["scheduler"]["jobs"]}
    assert {"daily_trading", "hourly_refresh", "market_close_refresh", "post_close_validation"} <= set(jobs)
    assert jobs["daily_trading"]["enabled"] and jobs["daily_trading"]["next_run"]
    last = body["last_trading_run"]
    assert (last["trading_date"], last["status"]) == ("2020-06-30", "completed")
    assert {r["strategy_id"] for r in body["last_trading_run"]["results"]} == {"v3_5b", "v3_5d"}
    assert "data_freshness" in body and body["schwab"] is None
