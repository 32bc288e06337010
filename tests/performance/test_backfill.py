"""Backfill equals day-by-day finalisation; seeding from a real backtest run; the management commands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jutsu.errors import ConflictError
from jutsu.scheduler import calendar
from performance.models import DailyPerformance, EntityType, EODJobStatus
from performance.services.backfill import daily_performance_backfill, daily_performance_seed_from_backtest
from performance.services.eod import eod_finalize_date
from strategies.engine import create_strategy
from tests.data import shared_market_dir
from tests.performance.helpers import (
    backtest_run_store,
    bars_store,
    csv_bars_store,
    csv_frame,
    snapshot_make,
    strategy_make,
)
from tests.performance.test_eod import VALUE_FIELDS

pytestmark = pytest.mark.django_db

DAYS = calendar.trading_days(date(2024, 4, 1), date(2024, 5, 10))


def all_rows() -> list[tuple]:
    rows = DailyPerformance.objects.order_by("entity_type", "entity_id", "mode", "trading_date")
    return [(r.entity_type, r.entity_id, r.mode, r.trading_date, *(getattr(r, f) for f in VALUE_FIELDS)) for r in rows]


def history_with_snapshots_and_marked_days() -> None:
    """Two strategies sharing QQQ: several snapshots a day; "b" holds QQQ and misses some days (marked)."""
    closes = {d: round(300 + 2.5 * i + (7 if i % 4 == 0 else 0), 2) for i, d in enumerate(DAYS)}
    bars_store("QQQ", closes)
    strategy_make("a", order=1, capital="10000")
    strategy_make("b", order=2, capital="50000")
    for i, day in enumerate(DAYS):
        snapshot_make("a", day, 10_000 + 40 * i, hour=10, source="hourly_refresh")
        snapshot_make("a", day, 10_000 + 35 * i - (i % 3) * 20, hour=16, minute=5, cell=1 + i % 3)
        if i % 5 != 3:  # b has no snapshot on these days: marked to market
            qty = 100
            value = qty * Decimal(str(closes[day]))
            snapshot_make(
                "b", day, str(Decimal("20000") + value), cash="20000", positions={"QQQ": {"qty": qty}}, cell=2
            )


def test_rebuilding_any_range_gives_the_same_rows_as_day_by_day_finalisation():
    history_with_snapshots_and_marked_days()
    for day in DAYS:
        eod_finalize_date(day)
    day_by_day = all_rows()
    assert len(day_by_day) == 3 * len(DAYS)

    DailyPerformance.objects.all().delete()
    summary = daily_performance_backfill(end=DAYS[-1])
    assert summary.errors == []
    assert all_rows() == day_by_day

    daily_performance_backfill(start=DAYS[8], end=DAYS[17])  # a middle range: later rows re-chained
    assert all_rows() == day_by_day
    daily_performance_backfill(strategy_ids=["b"], mode="paper", start=DAYS[3], end=DAYS[-1])
    assert all_rows() == day_by_day


def test_backfill_of_a_range_before_existing_rows_recomputes_their_kpi_chain():
    history_with_snapshots_and_marked_days()
    for day in DAYS:
        eod_finalize_date(day)
    expected = all_rows()
    DailyPerformance.objects.filter(trading_date__lt=DAYS[10]).delete()
    daily_performance_backfill(start=DAYS[0], end=DAYS[9])
    assert all_rows() == expected


@pytest.fixture
def v35b_run():
    """A real v3.5b backtest over 2012–2013 on the shared bars (warm-up from 2010), risk-free rate 2 %."""
    market = shared_market_dir()
    strategy = strategy_make("v3_5b", strategy_class="hierarchical_adaptive_v3_5b", capital="10000")
    symbols = create_strategy("hierarchical_adaptive_v3_5b").symbols
    data = {}
    for symbol in dict.fromkeys([*symbols, "QQQ"]):
        if (market / f"{symbol}.csv").is_file():
            data[symbol] = csv_frame(market / f"{symbol}.csv", "2010-01-01", "2013-12-31")
    csv_bars_store(market / "QQQ.csv", "QQQ", "2011-12-01", "2014-01-31")
    return backtest_run_store(strategy, data, date(2012, 1, 3), date(2013, 12, 31), risk_free_rate=0.02)


def test_seeding_from_a_backtest_matches_the_runs_metrics_and_is_idempotent(v35b_run):
    run = v35b_run
    summary = daily_performance_seed_from_backtest(run_id=run.pk, mode="paper")
    rows = list(DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY).order_by("trading_date"))
    n = len(run.equity_curve)
    assert len(rows) == n and summary.rows["strategy:v3_5b/paper"] == n
    assert len({r.trading_date for r in rows}) == n
    assert DailyPerformance.objects.filter(entity_type=EntityType.BASELINE, entity_id="QQQ").count() == n
    last = rows[-1]
    # returns are measured from the run's initial capital, in the run's metrics and in the seeded rows alike
    capital = float(run.initial_capital)
    assert float(Decimal(run.equity_curve[0]["equity"])) < capital  # the first day's fills cost something
    assert rows[0].cumulative_return == pytest.approx(float(Decimal(run.equity_curve[0]["equity"])) / capital - 1)
    assert last.cumulative_return == pytest.approx(run.metrics["total_return"], rel=1e-12)
    assert last.cumulative_return == pytest.approx(float(run.final_equity) / capital - 1, rel=1e-12)
    assert last.cagr == pytest.approx(run.metrics["cagr"], rel=1e-12)
    assert last.calmar_ratio == pytest.approx(run.metrics["calmar"], rel=1e-9)
    assert last.sharpe_ratio == pytest.approx(run.metrics["sharpe"], rel=1e-9)
    assert last.max_drawdown == pytest.approx(run.metrics["max_drawdown"], rel=1e-9)
    assert last.sortino_ratio == pytest.approx(run.metrics["sortino"], rel=1e-9)
    assert last.total_trades == run.metrics["total_trades"] > 0
    assert last.win_rate == pytest.approx(run.metrics["win_rate"], rel=1e-12)
    assert last.kpi_state["risk_free_rate"] == 0.02
    assert last.total_equity == Decimal(run.equity_curve[-1]["equity"]).quantize(Decimal("0.000001"))
    assert last.positions == run.equity_curve[-1]["positions"]
    with_cells = [r for r in rows if r.strategy_cell is not None]
    assert with_cells and with_cells[-1].trend_state in ("BullStrong", "Sideways", "BearStrong")
    assert not EODJobStatus.objects.exists()

    daily_performance_seed_from_backtest(run_id=run.pk, mode="paper")
    assert DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY).count() == n
    assert DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY).order_by(
        "trading_date"
    ).last().sharpe_ratio == (last.sharpe_ratio)


def test_seeded_history_continues_with_the_next_days_eod_at_the_same_rate(v35b_run):
    daily_performance_seed_from_backtest(run_id=v35b_run.pk, mode="paper")
    last = DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY).order_by("trading_date").last()
    following = calendar.next_trading_day(last.trading_date)
    snapshot_make("v3_5b", following, str(last.total_equity * Decimal("1.01")))
    status = eod_finalize_date(following)
    assert status.status == "completed", status.errors
    row = DailyPerformance.objects.get(entity_type=EntityType.STRATEGY, trading_date=following)
    assert row.daily_return == pytest.approx(0.01, rel=1e-6)
    assert row.kpi_state["risk_free_rate"] == 0.02
    assert row.trading_days_count == last.trading_days_count + 1
    # re-finalising an already seeded day keeps the backtest's values (no new evidence for that day)
    eod_finalize_date(last.trading_date)
    assert DailyPerformance.objects.get(
        pk__isnull=False, entity_type="strategy", trading_date=last.trading_date
    ).total_equity == (last.total_equity)


def test_seeding_is_refused_when_the_strategy_has_earlier_rows(v35b_run):
    snapshot_make("v3_5b", date(2011, 12, 30), 10_000)
    eod_finalize_date(date(2011, 12, 30))
    with pytest.raises(ConflictError, match="before the run's first date"):
        daily_performance_seed_from_backtest(run_id=v35b_run.pk, mode="paper")


def test_backfill_command_seeds_from_a_backtest_with_a_progress_bar(v35b_run):
    out, err = StringIO(), StringIO()
    call_command(
        "backfill_daily_performance", "--strategy", "v3_5b", "--from-backtest", str(v35b_run.pk), stdout=out, stderr=err
    )
    assert "backfill:" in out.getvalue() and "strategy:v3_5b/paper" in out.getvalue()
    assert "100.0%" in err.getvalue()
    with pytest.raises(CommandError, match="not v3_5d"):
        call_command("backfill_daily_performance", "--strategy", "v3_5d", "--from-backtest", str(v35b_run.pk))
    with pytest.raises(CommandError, match="not found"):
        call_command("backfill_daily_performance", "--from-backtest", "999999")


def test_backfill_command_rejects_bad_arguments():
    strategy_make("a")
    with pytest.raises(CommandError, match="--start"):
        call_command("backfill_daily_performance", "--start", "2024-02-30")
    with pytest.raises(CommandError, match="unknown strategy nope"):
        call_command("backfill_daily_performance", "--strategy", "nope")
    with pytest.raises(CommandError):
        call_command("backfill_daily_performance", "--mode", "live")


def test_finalize_day_command_finalises_a_trading_day_and_skips_a_holiday():
    strategy_make("a")
    day = DAYS[0]
    bars_store("QQQ", {day: 100.0})
    snapshot_make("a", day, 10_000)
    out = StringIO()
    call_command("finalize_day", "--date", day.isoformat(), stdout=out)
    assert "completed" in out.getvalue() and "strategies 1/1" in out.getvalue()
    out = StringIO()
    call_command("finalize_day", "--date", "2020-07-04", stdout=out)
    assert "skipped" in out.getvalue()
    with pytest.raises(CommandError, match="--date"):
        call_command("finalize_day", "--date", "tomorrow")
