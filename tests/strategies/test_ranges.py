"""``strategies.ranges``: the dates a strategy can run over with the stored bars (the pages' hints, the demo)."""

from __future__ import annotations

from datetime import date

import pytest

from jutsu.errors import DataMissing
from jutsu.scheduler.calendar import trading_days
from strategies.bars import warmup_bars
from strategies.engine.strategy import get_strategy_class
from strategies.ranges import strategy_run_range, strategy_run_ranges
from tests.performance.pages_seed import coverage_create, strategy_create

pytestmark = pytest.mark.django_db


def test_a_run_starts_after_the_warm_up_and_ends_at_the_last_common_bar():
    strategy = strategy_create("v3_5b")
    coverage_create(("QQQ",), first=date(2015, 1, 2), last=date(2026, 11, 27))
    coverage_create(("TQQQ",), first=date(2016, 3, 1), last=date(2026, 11, 20))
    start, end = strategy_run_range(strategy)
    warmup = warmup_bars(get_strategy_class("hierarchical_adaptive_v3_5b")({}))
    assert end == date(2026, 11, 20)  # the earlier of the two last bars
    assert len(trading_days(date(2016, 3, 1), start)) == warmup + 1  # the later first bar + the warm-up


def test_a_missing_symbol_or_a_short_history_is_named():
    strategy = strategy_create("v3_5b")
    coverage_create(("QQQ",))
    with pytest.raises(DataMissing, match="no bars for TQQQ"):
        strategy_run_range(strategy)
    coverage_create(("TQQQ",), first=date(2026, 1, 2), last=date(2026, 3, 2))
    with pytest.raises(DataMissing, match="not enough history"):
        strategy_run_range(strategy)


def test_ranges_of_many_strategies_read_the_coverage_once(django_assert_num_queries):
    strategies = [strategy_create(f"s{i}", order=i) for i in range(4)]
    strategies.append(strategy_create("broken", order=9))
    strategies[-1].strategy_class = "no_such_class"
    coverage_create(("QQQ", "TQQQ"))
    with django_assert_num_queries(1 + len(strategies) - 1):  # coverage + each valid strategy's overrides
        ranges = strategy_run_ranges(strategies)
    assert all(ranges[f"s{i}"].available for i in range(4))
    assert ranges["s0"].end == date(2026, 11, 27)
    assert not ranges["broken"].available and "configuration" in ranges["broken"].problem
