"""Selectors: latest row, history ranges, overview sparklines and comparisons in a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jutsu.errors import InvalidParameter
from performance import selectors
from performance.models import DailyPerformance, EntityType
from strategies.models import Strategy

pytestmark = pytest.mark.django_db


def make_strategy(strategy_id: str, *, order: int = 100, active: bool = True) -> Strategy:
    return Strategy.objects.create(
        strategy_id=strategy_id,
        display_name=strategy_id,
        strategy_class="sma_crossover",
        config_file=f"config/strategies/{strategy_id}.yaml",
        is_active=active,
        execution_order=order,
        initial_capital=Decimal("10000"),
        baseline_symbol="QQQ",
        synced_at=timezone.now(),
    )


def make_row(entity_id: str, day: date, equity: float, *, entity_type: str = EntityType.STRATEGY, mode="paper"):
    return DailyPerformance.objects.create(
        trading_date=day,
        entity_type=entity_type,
        entity_id=entity_id,
        mode=mode,
        total_equity=Decimal(str(equity)),
        cash=Decimal("0"),
        positions_value=Decimal(str(equity)),
        daily_return=0.0,
        cumulative_return=0.0,
        drawdown=0.0,
        high_water_mark=Decimal(str(equity)),
        max_drawdown=0.0,
        baseline_symbol="QQQ" if entity_type == EntityType.STRATEGY else "",
        initial_capital=Decimal("10000"),
        trading_days_count=1,
        days_since_previous=0,
        is_first_day=False,
        kpi_state={},
        finalized_at=timezone.now(),
    )


def test_overview_lists_active_strategies_with_latest_row_and_sparkline_in_four_queries():
    for n, sid in enumerate(["a", "b", "c", "d"]):
        make_strategy(sid, order=n, active=sid != "d")
        for k in range(10):
            make_row(sid, date(2024, 1, 1) + timedelta(days=k), 100 + k)
    make_row("b", date(2024, 1, 20), 500, mode="online_live")
    with CaptureQueriesContext(connection) as ctx:
        items = selectors.daily_performance_overview("paper", points=5)
    assert len(ctx.captured_queries) <= 4  # strategies, data version, last equities, latest rows
    assert [i.strategy.strategy_id for i in items] == ["a", "b", "c"]
    assert items[1].latest.trading_date == date(2024, 1, 10)
    assert [p[1] for p in items[0].sparkline] == [Decimal(v) for v in (105, 106, 107, 108, 109)]


def test_comparison_refuses_four_strategies():
    with pytest.raises(InvalidParameter, match="at most 3"):
        selectors.daily_performance_comparison(["a", "b", "c", "d"], "paper")


def test_comparison_returns_strategies_then_their_shared_baseline_once():
    for sid in ("a", "b"):
        make_strategy(sid)
        make_row(sid, date(2024, 1, 2), 100)
    make_row("QQQ", date(2024, 1, 2), 100, entity_type=EntityType.BASELINE)
    with CaptureQueriesContext(connection) as ctx:
        series = selectors.daily_performance_comparison(["a", "b"], "paper", date(2024, 1, 1), date(2024, 1, 31))
    assert len(ctx.captured_queries) <= 3
    assert [(s.entity_type, s.entity_id, len(s.rows)) for s in series] == [
        ("strategy", "a", 1),
        ("strategy", "b", 1),
        ("baseline", "QQQ", 1),
    ]


def test_history_is_oldest_first_within_the_range():
    for k in range(5):
        make_row("a", date(2024, 1, 1) + timedelta(days=k), 100 + k)
    rows = selectors.daily_performance_history("strategy", "a", "paper", date(2024, 1, 2), date(2024, 1, 4))
    assert [r.trading_date.day for r in rows] == [2, 3, 4]
    assert selectors.daily_performance_latest("a", "paper").trading_date == date(2024, 1, 5)
