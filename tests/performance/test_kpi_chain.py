"""Stored daily KPIs equal the analyzer's full recomputation: ≥ 2,600 real days, gaps, a missed day recovered later."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

import trading.selectors
from performance.models import DailyPerformance, EntityType
from performance.services.backfill import daily_performance_backfill
from performance.services.eod import eod_finalize_date
from strategies.engine.analyzer import analyze_performance
from tests.data import shared_market_dir
from tests.performance.helpers import csv_bars_store, snapshot_make, strategy_make

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

QTY = Decimal(40)
REL = 1e-9
# DailyPerformance field → PerformanceMetrics field
SAME_AS_ANALYZER = {
    "cumulative_return": "total_return",
    "drawdown": "current_drawdown",
    "max_drawdown": "max_drawdown",
    "volatility": "volatility",
    "sharpe_ratio": "sharpe",
    "sortino_ratio": "sortino",
    "calmar_ratio": "calmar",
    "cagr": "cagr",
    "trading_days_count": "trading_days",
    "total_trades": "total_trades",
    "winning_trades": "winning_trades",
    "losing_trades": "losing_trades",
    "win_rate": "win_rate",
}


def trades_for(day: date) -> list[float]:
    """Closed-trade P&Ls by weekday: none, a win, a loss and a win, a break-even…"""
    return {0: [], 1: [125.0], 2: [], 3: [-40.0, 10.0], 4: [0.0]}[day.weekday()]


def assert_row_equals_full_recomputation(row: DailyPerformance, curve, trades) -> None:
    # Cumulative return and CAGR are measured from the entity's initial capital, as the analyzer does when given
    # it; the strategy here starts with 10,000 of capital and holds 40 QQQ (~1,900), so a base taken from the
    # first row instead would be caught.
    metrics = analyze_performance(curve, trades=trades, initial_capital=row.initial_capital)
    for field, metric in SAME_AS_ANALYZER.items():
        stored, expected = getattr(row, field), getattr(metrics, metric)
        if expected is None:
            assert stored is None, (row.trading_date, field)
        else:
            assert stored == pytest.approx(expected, rel=REL, abs=1e-12), (row.trading_date, field)
    assert float(row.high_water_mark) == pytest.approx(metrics.high_water_mark, abs=1e-6)


def test_incremental_kpis_equal_the_full_recomputation_over_2600_days_with_gaps_and_a_recovered_day(monkeypatch):
    frame = csv_bars_store(shared_market_dir() / "QQQ.csv", "QQQ", "2010-01-01", "2020-12-31")
    days = list(frame.index)
    closes = {d: Decimal(repr(float(c))).quantize(Decimal("0.000001")) for d, c in frame["close"].items()}
    rng = np.random.default_rng(7)
    gaps = {days[i] for i in rng.choice(np.arange(5, len(days) - 5), size=12, replace=False)}
    gaps |= set(days[1500:1510])  # a two-week outage
    missed = days[1300]  # recovered later
    gaps.add(missed)
    strategy_make("long", capital="10000")
    monkeypatch.setattr(
        trading.selectors,
        "closed_trade_pnls",
        lambda ids, mode, start, end: {("long", d): trades_for(d) for d in days if start <= d <= end},
        raising=False,
    )

    def snapshot(day: date) -> None:
        value = str(QTY * closes[day])
        snapshot_make("long", day, value, cash="0", positions={"QQQ": {"qty": int(QTY), "value": value}})

    for day in days:
        if day not in gaps:
            snapshot(day)
    # Finalise segment by segment, leaving the gap days unfinalised (the platform was down; recovery expired).
    segment: list[date] = []
    for day in [*days, None]:
        if day is not None and day not in gaps:
            segment.append(day)
            continue
        if segment:
            daily_performance_backfill(strategy_ids=["long"], mode="paper", start=segment[0], end=segment[-1])
            segment = []

    rows = list(DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY).order_by("trading_date"))
    assert len(rows) == len(days) - len(gaps) >= 2600
    assert {r.initial_capital for r in rows} == {Decimal("10000")}
    after_outage = next(r for r in rows if r.trading_date > days[1509])
    assert after_outage.days_since_previous == (days[1510] - days[1499]).days

    # The missed day turns up later (a snapshot recorded late) and is finalised: inserted into the chain.
    snapshot(missed)
    eod_finalize_date(missed)
    gaps.discard(missed)

    rows = list(DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY).order_by("trading_date"))
    kept = [d for d in days if d not in gaps]
    assert [r.trading_date for r in rows] == kept
    curve = [(d, float(QTY * closes[d])) for d in kept]
    trades = [pnl for d in kept for pnl in trades_for(d)]
    index = {d: i for i, d in enumerate(kept)}
    check = set(range(0, len(rows), 40)) | set(range(index[missed] - 2, index[missed] + 3)) | {len(rows) - 1}
    for i in sorted(check):
        row = rows[i]
        upto = [p for d in kept[: i + 1] for p in trades_for(d)]
        assert_row_equals_full_recomputation(row, curve[: i + 1], upto)
        assert row.total_equity == QTY * closes[row.trading_date]
    assert rows[-1].total_trades == len(trades)

    baseline = list(DailyPerformance.objects.filter(entity_type=EntityType.BASELINE).order_by("trading_date"))
    assert [r.trading_date for r in baseline] == kept
    assert_row_equals_full_recomputation(
        baseline[-1], [(d, 10_000 * float(closes[d]) / float(closes[kept[0]])) for d in kept], []
    )
