"""The daily trading run through the job: isolation, timeouts, freshness, re-runs, crashes, modes, events."""

from __future__ import annotations

import itertools
import shutil
import threading
from datetime import date
from decimal import Decimal

import pytest
import yaml

from jutsu.models import JobLock, JobTrigger
from jutsu.scheduler.locks import lock_acquire, new_owner
from jutsu.scheduler.runner import job_run
from performance.models import DailyPerformance, PerformanceSnapshot
from performance.services.eod import eod_finalize_date
from strategies.engine.library.sma_crossover import SmaCrossover
from strategies.engine.strategy import register_strategy
from strategies.services.registry import strategies_sync
from tests.trading.conftest import close_of
from trading.executors import executor_register
from trading.executors.simulated import PaperExecutor
from trading.marketdata.corrections import market_data_set_validity
from trading.models import (
    EngineState,
    LiveTrade,
    MarketData,
    Order,
    OrderStatus,
    Position,
    RegimeState,
    StrategyRunResult,
    TradingAccount,
    TradingRun,
)
from trading.services.engine import engine_restart, engine_start

pytestmark = pytest.mark.django_db

DAY1, DAY2, DAY3 = date(2020, 6, 25), date(2020, 6, 26), date(2020, 6, 29)


def trade(day: date):
    return job_run("daily_trading", as_of=close_of(day), trigger=JobTrigger.MANUAL)


@pytest.fixture(autouse=True)
def _close(monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "close")


# ── isolation ─────────────────────────────────────────────────────────────────────────────────────


@register_strategy
class RaisesWhenTrading(SmaCrossover):
    class_id = "test_raises_when_trading"

    def on_bar(self, bar):
        if bar.tradable:
            raise RuntimeError("division by a zero-volume bar")
        return super().on_bar(bar)


RELEASE = threading.Event()


@register_strategy
class SlowWhenTrading(SmaCrossover):
    """Hangs on its first tradable bar until the test releases it (well past the execution timeout)."""

    class_id = "test_slow_when_trading"

    def on_bar(self, bar):
        if bar.tradable:
            RELEASE.wait(60)
        return super().on_bar(bar)


@pytest.fixture
def registry_with_misbehaving_strategies(real_market, settings, tmp_path):
    """The shipped registry plus two strategies: one raises, one outlasts a 3-second execution timeout."""
    config = tmp_path / "config"
    shutil.copytree(settings.JUTSU_CONFIG_DIR, config)
    registry = yaml.safe_load((config / "strategies_registry.yaml").read_text())
    registry["settings"]["execution_timeout"] = 3
    for order, class_id in ((3, "test_raises_when_trading"), (4, "test_slow_when_trading")):
        (config / "strategies" / f"{class_id}.yaml").write_text("parameters: {symbol: QQQ, fast: 5, slow: 20}\n")
        registry["strategies"].append(
            {
                "id": class_id.removeprefix("test_"),
                "strategy_class": class_id,
                "config_file": f"strategies/{class_id}.yaml",
                "is_active": True,
                "execution_order": order,
            }
        )
    (config / "strategies_registry.yaml").write_text(yaml.safe_dump(registry))
    settings.JUTSU_CONFIG_DIR = config
    strategies_sync(config_dir=config)
    RELEASE.clear()
    yield
    RELEASE.set()  # let the abandoned decision thread finish


def test_one_strategy_raising_and_one_timing_out_never_stop_the_primary(
    registry_with_misbehaving_strategies, engine_paper, live_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = trade(DAY1)
    assert run.status == "partial"
    results = {r.strategy_id: r for r in StrategyRunResult.objects.all()}
    assert next(r.strategy_id for r in StrategyRunResult.objects.order_by("id")) == "v3_5b"  # primary first
    assert results["v3_5b"].status == "traded" and results["v3_5d"].status == "traded"
    assert results["raises_when_trading"].status == "failed"
    assert "division by a zero-volume bar" in results["raises_when_trading"].error
    assert results["slow_when_trading"].status == "timed_out"
    assert "longer than 3 s" in results["slow_when_trading"].error
    assert LiveTrade.objects.filter(strategy_id="v3_5b").count() == 2
    errors = [e for e in live_events if e["type"] == "error"]
    assert {e["strategy_id"] for e in errors} == {"raises_when_trading", "slow_when_trading"}
    assert "raises_when_trading/paper: failed" in run.message and run.error
    assert EngineState.objects.get().state == "running"  # a partial run does not stop the engine


# ── freshness ─────────────────────────────────────────────────────────────────────────────────────


def test_stale_data_is_not_traded_says_why_and_a_failed_run_stops_the_engine(
    real_market, engine_paper, monkeypatch, live_events, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("DATA_PRIMARY_SOURCE", "synthetic")  # the sync attempt stays offline (and cannot help)
    monkeypatch.setenv("DATA_FALLBACK_SOURCE", "synthetic")
    bar = MarketData.objects.get(symbol="TQQQ", timestamp__date=date(2020, 6, 24))
    market_data_set_validity(bar_ids=[bar.pk], is_valid=False, reason="test: vendor gap")
    with django_capture_on_commit_callbacks(execute=True):
        run = job_run("daily_trading", as_of=close_of(DAY1), trigger=JobTrigger.SCHEDULE)
    assert run.status == "failed"
    result = StrategyRunResult.objects.get(strategy_id="v3_5b")
    assert result.status == "not_traded"
    assert "stale market data: TQQQ (last bar 2020-06-23)" in result.error and "2020-06-24" in result.error
    assert not LiveTrade.objects.exists()
    assert any(e["type"] == "error" and "TQQQ" in e["message"] for e in live_events)
    engine = EngineState.objects.get()
    assert engine.state == "error" and "stale market data" in engine.last_error
    assert "engine is in error" in trade(DAY2).message  # blocked until an operator restarts it
    market_data_set_validity(bar_ids=[bar.pk], is_valid=True, reason="test: fixed")
    engine_restart()
    assert trade(DAY2).status == "success"


# ── re-runs, crashes, the lock ─────────────────────────────────────────────────────────────────────


def test_re_running_a_day_trades_nothing_new_and_an_earlier_day_is_refused(real_market, engine_paper):
    trade(DAY1)
    trade(DAY2)
    count = LiveTrade.objects.count()
    assert trade(DAY2).status == "success" and LiveTrade.objects.count() == count
    again = trade(DAY1)
    assert again.status == "failed" and LiveTrade.objects.count() == count
    assert "refused: 2020-06-25 is before the last trading day 2020-06-26" in again.error
    assert EngineState.objects.get().state == "running"  # an operator's manual run does not stop the engine


class CrashingPaper(PaperExecutor):
    """Paper fills, but the process 'dies' right after the broker takes the second order."""

    sends = 0

    def send(self, ticket):
        CrashingPaper.sends += 1
        if CrashingPaper.sends == 2:
            raise KeyboardInterrupt("worker killed")
        return super().send(ticket)


def test_a_run_killed_after_placing_orders_and_re_run_trades_nothing_twice(real_market, engine_paper):
    executor_register("paper", CrashingPaper)
    try:
        with pytest.raises(KeyboardInterrupt):
            trade(DAY1)
    finally:
        executor_register("paper", None)
    assert LiveTrade.objects.count() == 1 and Order.objects.filter(strategy_id="v3_5b").count() == 2
    # the killed worker's lock stays behind, held by a process that no longer exists
    host = new_owner().split(":")[0]
    JobLock.objects.update_or_create(name="daily_trading", defaults={"owner": f"{host}:999999:dead"} | _lock_times())
    run = trade(DAY1)
    assert run.status == "success", run.message
    assert StrategyRunResult.objects.get(strategy_id="v3_5b", trading_run__job_run=run).status == "resumed"
    trades = sorted(LiveTrade.objects.filter(strategy_id="v3_5b").values_list("symbol", "action", "quantity"))
    assert trades == [("QQQ", "BUY", 16), ("TQQQ", "BUY", 62)]  # each order once, as the backtest trades that day
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.FILLED}
    held = {p.symbol: p.quantity for p in Position.objects.filter(strategy_id="v3_5b")}
    assert held == {"QQQ": 16, "TQQQ": 62}


def _lock_times():
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    return {"acquired_at": now, "expires_at": now + timedelta(hours=1)}


def test_a_duplicate_trigger_is_skipped_by_the_lock(real_market, engine_paper):
    assert lock_acquire("daily_trading", "other-worker:1:busy", timeout_seconds=600)
    run = trade(DAY1)
    assert run.status == "skipped" and "another run is in progress" in run.message
    assert not TradingRun.objects.exists() and not LiveTrade.objects.exists()


# ── modes ─────────────────────────────────────────────────────────────────────────────────────────


def test_dry_run_records_the_decision_and_intended_orders_only(real_market):
    engine_start(mode="dry_run")
    assert trade(DAY1).status == "success"
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.DRY_RUN}
    assert Order.objects.filter(strategy_id="v3_5b").count() == 2
    assert RegimeState.objects.filter(mode="dry_run", trading_date=DAY1).count() == 2
    assert not LiveTrade.objects.exists() and not Position.objects.exists()
    assert not PerformanceSnapshot.objects.exists()


def test_offline_mock_fills_at_the_signal_price(real_market):
    engine_start(mode="offline_mock")
    trade(DAY1)
    for t in LiveTrade.objects.all():
        assert t.fill_price == t.target_price and t.commission == 0
    account = TradingAccount.objects.get(strategy_id="v3_5b", mode="offline_mock")
    spent = sum(t.fill_value for t in LiveTrade.objects.filter(strategy_id="v3_5b"))
    assert account.cash == Decimal("10000") - spent


def test_a_paper_shadow_strategy_stays_on_paper_while_the_engine_trades_live(real_market):
    from trading.modes import Mode
    from trading.runner.runner import strategies_in_run_order, strategy_mode

    rows = {r.strategy_id: r for r in strategies_in_run_order()}
    assert strategy_mode(rows["v3_5b"], Mode.ONLINE_LIVE) == Mode.ONLINE_LIVE  # paper_trading: false
    assert strategy_mode(rows["v3_5d"], Mode.ONLINE_LIVE) == Mode.PAPER
    assert strategy_mode(rows["v3_5d"], Mode.DRY_RUN) == Mode.DRY_RUN


# ── records and events ────────────────────────────────────────────────────────────────────────────


def test_trades_carry_the_decision_context_and_events_follow(
    real_market, engine_paper, live_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        trade(DAY1)
    trades = LiveTrade.objects.filter(strategy_id="v3_5b")
    regime = RegimeState.objects.get(strategy_id="v3_5b", trading_date=DAY1)
    assert {(t.strategy_cell, t.trend_state, t.reason) for t in trades} == {
        (regime.strategy_cell, regime.trend_state, "Signal Change")
    }
    assert regime.target_weights and regime.reason.startswith(f"cell {regime.strategy_cell}")
    executed = [e for e in live_events if e["type"] == "trade_executed"]
    assert len(executed) == LiveTrade.objects.count() == 4
    snapshot = PerformanceSnapshot.objects.get(strategy_id="v3_5b")
    assert (snapshot.source, snapshot.strategy_cell) == ("trading_job", regime.strategy_cell)


def test_a_cell_change_writes_a_regime_change_event(
    real_market, engine_paper, live_events, django_capture_on_commit_callbacks
):
    days = [date(2020, 2, 20), date(2020, 2, 21), date(2020, 2, 24), date(2020, 2, 25)]  # the February 2020 break
    with django_capture_on_commit_callbacks(execute=True):
        for day in days:
            trade(day)
    cells = list(
        RegimeState.objects.filter(strategy_id="v3_5b").order_by("trading_date").values_list("strategy_cell", flat=True)
    )
    changes = [e for e in live_events if e["type"] == "regime_change" and e["strategy_id"] == "v3_5b"]
    assert len(changes) == sum(1 for a, b in itertools.pairwise(cells) if a != b) >= 1
    assert changes[0]["old"]["cell"] != changes[0]["new"]["cell"]
    assert LiveTrade.objects.filter(strategy_id="v3_5b", reason="Signal Change").exists()


def test_live_trade_statistics_reach_the_eod_rows(real_market, engine_paper):
    days = [date(2020, 2, 20), date(2020, 2, 21), date(2020, 2, 24), date(2020, 2, 25)]
    for day in days:
        trade(day)
        eod_finalize_date(day, trigger="test")
    sells = LiveTrade.objects.filter(strategy_id="v3_5b", action="SELL", realized_pnl__isnull=False)
    assert sells.exists()
    row = DailyPerformance.objects.get(entity_type="strategy", entity_id="v3_5b", mode="paper", trading_date=days[-1])
    assert row.total_trades == sells.count()
    assert row.winning_trades == sells.filter(realized_pnl__gt=0).count()
