"""Demo history: a backtest per strategy over its stored bars, and months of paper trading replayed through the
real jobs — idempotently, one paper history."""

from __future__ import annotations

from datetime import date

import pytest

from jutsu.errors import DataMissing
from performance.models import DailyPerformance
from performance.services.demo import demo_history_load
from strategies.models import BacktestRun
from tests.performance.pages_seed import strategy_create
from trading.marketdata.sync import market_data_generate_demo

pytestmark = pytest.mark.django_db


def test_demo_history_backtests_once_and_seeds_no_paper_history():
    strategy = strategy_create("v3_5b")
    market_data_generate_demo(start=date(2018, 1, 2), end=date(2020, 12, 31))
    first = demo_history_load(strategy)
    assert first.run_created and first.run.end_date == date(2020, 12, 31)
    again = demo_history_load(strategy)
    assert not again.run_created and again.run.pk == first.run.pk
    assert again.lines() == [f"v3_5b: backtest #{first.run.pk} {first.run.start_date} … 2020-12-31 (already there)"]
    assert BacktestRun.objects.count() == 1
    assert not DailyPerformance.objects.exists()  # the paper history is the replay's, never the backtest's


def test_the_replay_trades_paper_through_the_jobs_and_a_second_run_replays_nothing(monkeypatch):
    from django.core.management import call_command

    from performance.models import PerformanceSnapshot
    from performance.services.demo_replay import demo_paper_replay
    from trading import notify
    from trading.models import EngineState, LiveTrade, Position, RegimeState, TradingAccount

    call_command("sync_strategies", verbosity=0)
    sent: list = []
    monkeypatch.setattr(notify, "_senders", [sent.append])
    market_data_generate_demo(start=date(2018, 1, 2), end=date(2020, 12, 31))
    summary = demo_paper_replay(sessions=8)
    assert summary.sessions[-1] == date(2020, 12, 31) and len(summary.sessions) == 8 and not summary.problems
    assert EngineState.objects.get().state == "running" and EngineState.objects.get().mode == "paper"
    for strategy_id in ("v3_5b", "v3_5d"):
        account = TradingAccount.objects.get(strategy_id=strategy_id, mode="paper")
        assert (account.started_on, account.last_trading_date) == (date(2020, 12, 21), date(2020, 12, 31))
        assert RegimeState.objects.filter(strategy_id=strategy_id, mode="paper").exclude(grade="").count() == 8
        rows = DailyPerformance.objects.filter(entity_id=strategy_id, mode="paper", entity_type="strategy")
        assert rows.count() == 8
    assert LiveTrade.objects.filter(mode="paper").exists() and Position.objects.filter(quantity__gt=0).exists()
    assert PerformanceSnapshot.objects.filter(source="market_close").count() == 16
    assert sent == []  # the past months are not announced
    counts = (LiveTrade.objects.count(), DailyPerformance.objects.count(), PerformanceSnapshot.objects.count())
    again = demo_paper_replay(sessions=8)
    assert again.sessions == [] and again.line() == "paper trading already up to date: nothing replayed"
    assert (LiveTrade.objects.count(), DailyPerformance.objects.count(), PerformanceSnapshot.objects.count()) == counts


def test_demo_history_without_bars_names_the_missing_symbols():
    with pytest.raises(DataMissing, match="no bars for"):
        demo_history_load(strategy_create("v3_5b"))


def test_removing_the_demo_leaves_nothing_a_real_history_could_continue():
    from django.core.management import call_command

    from jutsu.errors import ConflictError
    from performance.services.demo import demo_remove
    from performance.services.demo_replay import demo_paper_replay
    from strategies.models import Strategy
    from trading.models import EngineState, LiveTrade, MarketData, TradingAccount

    call_command("sync_strategies", verbosity=0)
    strategy = Strategy.objects.get(strategy_id="v3_5b")
    market_data_generate_demo(start=date(2018, 1, 2), end=date(2020, 12, 31))
    demo_history_load(strategy)
    demo_paper_replay(sessions=3)
    rows = DailyPerformance.objects.count()
    live = LiveTrade.objects.order_by("id").first()
    LiveTrade.objects.filter(pk=live.pk).update(mode="online_live")
    with pytest.raises(ConflictError, match="live-trading history"):
        demo_remove()
    assert DailyPerformance.objects.count() == rows and BacktestRun.objects.count() == 1

    LiveTrade.objects.filter(pk=live.pk).update(mode="paper")
    counts = demo_remove()
    assert counts["backtest runs"] == 1 and counts["daily performance rows"] == rows and counts["synthetic bars"] > 1000
    assert counts["trades"] > 0 and counts["trading accounts"] == 2
    assert not MarketData.objects.exists() and not DailyPerformance.objects.exists()
    assert not BacktestRun.objects.exists() and not TradingAccount.objects.exists()
    assert EngineState.objects.get().state == "stopped"
