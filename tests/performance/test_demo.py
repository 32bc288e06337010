"""Demo history: a backtest per strategy over its stored bars, seeded into daily performance, idempotently."""

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


def test_demo_history_backtests_once_seeds_once_and_says_so():
    strategy = strategy_create("v3_5b")
    market_data_generate_demo(start=date(2018, 1, 2), end=date(2020, 12, 31))
    first = demo_history_load(strategy, mode="paper")
    assert first.run_created and first.seeded is not None and first.run.end_date == date(2020, 12, 31)
    rows = DailyPerformance.objects.filter(entity_id="v3_5b", mode="paper").count()
    assert rows == first.seeded.rows["strategy:v3_5b/paper"] > 100
    again = demo_history_load(strategy, mode="paper")
    assert not again.run_created and again.run.pk == first.run.pk and again.seeded is None
    assert again.lines() == ["v3_5b: daily performance already up to 2020-12-31"]
    assert BacktestRun.objects.count() == 1
    assert DailyPerformance.objects.filter(entity_id="v3_5b", mode="paper").count() == rows


def test_demo_history_without_bars_names_the_missing_symbols():
    with pytest.raises(DataMissing, match="no bars for"):
        demo_history_load(strategy_create("v3_5b"), mode="paper")


def test_removing_the_demo_leaves_nothing_a_real_history_could_continue():
    from jutsu.errors import ConflictError
    from performance.services.demo import demo_remove
    from trading.models import MarketData

    strategy = strategy_create("v3_5b")
    market_data_generate_demo(start=date(2018, 1, 2), end=date(2020, 12, 31))
    demo_history_load(strategy, mode="paper")
    rows = DailyPerformance.objects.count()
    live = DailyPerformance.objects.filter(entity_type="strategy").order_by("trading_date").first()
    DailyPerformance.objects.filter(pk=live.pk).update(mode="online_live")
    with pytest.raises(ConflictError, match="live-trading history"):
        demo_remove()
    assert DailyPerformance.objects.count() == rows and BacktestRun.objects.count() == 1

    DailyPerformance.objects.filter(pk=live.pk).update(mode="paper")
    counts = demo_remove()
    assert counts["backtest runs"] == 1 and counts["daily performance rows"] == rows and counts["synthetic bars"] > 1000
    assert not MarketData.objects.exists() and not DailyPerformance.objects.exists()
    assert not BacktestRun.objects.exists()
