"""EOD finalisation: equity-based returns (the Sharpe incident), isolation, recovery, idempotence, baselines."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jutsu import events as live_events
from jutsu.errors import ConflictError
from jutsu.scheduler import calendar
from performance.models import DailyPerformance, EntityType, EODJobStatus, EODStatus, PerformanceSnapshot
from performance.services import eod
from performance.services.days import day_bounds
from performance.services.eod import eod_dates_to_recover, eod_finalize_date, eod_run, eod_status_claim
from strategies.engine.analyzer import analyze_performance
from tests.performance.helpers import bars_store, snapshot_make, strategy_make

pytestmark = pytest.mark.django_db

DAYS = calendar.trading_days(date(2024, 3, 1), date(2024, 5, 31))
VALUE_FIELDS = (
    "total_equity",
    "cash",
    "positions_value",
    "positions",
    "daily_return",
    "cumulative_return",
    "drawdown",
    "high_water_mark",
    "sharpe_ratio",
    "sortino_ratio",
    "calmar_ratio",
    "max_drawdown",
    "volatility",
    "cagr",
    "strategy_cell",
    "trend_state",
    "vol_state",
    "total_trades",
    "winning_trades",
    "losing_trades",
    "win_rate",
    "baseline_symbol",
    "initial_capital",
    "trading_days_count",
    "days_since_previous",
    "is_first_day",
    "kpi_state",
)


def equity_path(n: int, *, seed: int = 3, start: float = 10_000.0) -> list[float]:
    """A deterministic end-of-day equity path with a positive drift (Sharpe ≈ 1.6 over 64 days)."""
    returns = np.random.default_rng(seed).normal(0.0015, 0.01, n)
    return [round(v, 2) for v in start * np.cumprod(1.0 + returns)]


def qqq_closes(days=DAYS) -> dict[date, float]:
    return {day: round(400.0 + 0.5 * i + 3 * math.sin(i / 3), 2) for i, day in enumerate(days)}


def row_values(row: DailyPerformance) -> dict:
    return {name: getattr(row, name) for name in VALUE_FIELDS}


def rows_of(entity_id: str, entity_type: str = EntityType.STRATEGY, mode: str = "paper") -> list[DailyPerformance]:
    return list(
        DailyPerformance.objects.filter(entity_type=entity_type, entity_id=entity_id, mode=mode).order_by(
            "trading_date"
        )
    )


@pytest.fixture
def qqq():
    closes = qqq_closes()
    bars_store("QQQ", closes)
    return closes


def test_many_snapshots_in_one_day_do_not_change_the_days_return_the_sharpe_incident(qqq):
    """ADR-05: 5–13 snapshots a day corrupted the original's per-snapshot daily_return (Sharpe −4.06 vs 0.82)."""
    strategy_make("single", order=1)
    strategy_make("many", order=2)
    path = equity_path(len(DAYS))
    rng = np.random.default_rng(1)
    snapshot_series = []
    for day, equity in zip(DAYS, path, strict=True):
        snapshot_make("single", day, equity)
        # the trading job, six hourly refreshes with intraday noise, then the market-close refresh
        snapshot_make("many", day, round(equity * 0.995, 2), hour=9, minute=45, source="trading_job", cell=1)
        for hour in range(10, 16):
            intraday = round(equity * (1 + rng.normal(-0.01, 0.01)), 2)
            snapshot_make("many", day, intraday, hour=hour, minute=0, source="hourly_refresh")
            snapshot_series.append(intraday)
        snapshot_make("many", day, equity, hour=16, minute=5, source="market_close")
        snapshot_series.append(equity)
        eod_finalize_date(day)

    single, many = rows_of("single"), rows_of("many")
    assert len(single) == len(many) == len(DAYS)
    for a, b in zip(single, many, strict=True):
        assert b.daily_return == a.daily_return
        assert b.total_equity == a.total_equity
    assert many[-1].sharpe_ratio == single[-1].sharpe_ratio
    expected = analyze_performance([(d, e) for d, e in zip(DAYS, path, strict=True)])
    assert many[-1].sharpe_ratio == pytest.approx(expected.sharpe, rel=1e-9)
    assert expected.sharpe > 1.0
    # What the original did: returns between consecutive snapshots, annualised as if they were daily.
    legacy = np.diff(snapshot_series) / np.array(snapshot_series[:-1])
    legacy_sharpe = legacy.mean() / legacy.std(ddof=1) * math.sqrt(252)
    assert legacy_sharpe < expected.sharpe / 3  # the incident: a good strategy looked bad
    # the regime comes from the trading job's snapshot, equity from the day's last one
    assert many[-1].strategy_cell == 1 and many[-1].trend_state == "BullStrong"
    assert single[-1].strategy_cell is None


def test_a_day_without_snapshot_marks_the_previous_positions_to_that_days_closes(qqq):
    strategy_make("held", order=1)
    d0, d1 = DAYS[0], DAYS[1]
    qty = 10
    snapshot_make(
        "held",
        d0,
        str(Decimal("1000") + qty * Decimal(str(qqq[d0]))),
        cash="1000",
        positions={"QQQ": {"qty": qty, "value": str(qty * Decimal(str(qqq[d0])))}},
        source="trading_job",
        cell=3,
    )
    eod_finalize_date(d0)
    eod_finalize_date(d1)  # no snapshot: marked to market
    first, second = rows_of("held")
    assert second.total_equity == Decimal("1000") + qty * Decimal(str(qqq[d1]))
    assert second.cash == Decimal("1000")
    assert second.positions["QQQ"]["qty"] == qty
    assert second.strategy_cell == 3  # regime carried forward
    assert second.daily_return == pytest.approx(float(second.total_equity) / float(first.total_equity) - 1, rel=1e-12)


def test_no_history_and_no_snapshot_means_nothing_to_finalise(qqq):
    strategy_make("idle")
    status = eod_finalize_date(DAYS[0])
    assert status.status == EODStatus.COMPLETED
    assert status.strategies_total == 0
    assert not DailyPerformance.objects.exists()


def test_baseline_is_buy_and_hold_computed_once_per_symbol_and_mode(qqq):
    strategy_make("a", order=1, capital="10000")
    strategy_make("b", order=2, capital="25000")
    for day in DAYS[:5]:
        snapshot_make("a", day, 10_000)
        snapshot_make("b", day, 25_000)
        snapshot_make("b", day, 25_000, mode="offline_mock")
        status = eod_finalize_date(day)
        assert (status.strategies_total, status.baselines_total, status.baselines_processed) == (3, 2, 2)
    paper = rows_of("QQQ", EntityType.BASELINE)
    assert len(paper) == 5
    assert len(rows_of("QQQ", EntityType.BASELINE, "offline_mock")) == 5
    start = qqq[DAYS[0]]
    for row in paper:  # capital of the first strategy (execution order) × close_D / close_start
        assert float(row.total_equity) == pytest.approx(10_000 * qqq[row.trading_date] / start, abs=1e-6)
        assert row.strategy_cell is None and row.baseline_symbol == "QQQ"
    assert paper[0].is_first_day and paper[0].daily_return == 0.0


def test_one_failing_strategy_makes_the_day_partial_and_stores_its_first_error(qqq):
    strategy_make("good", order=1)
    strategy_make("broken", order=2)
    d0, d1 = DAYS[0], DAYS[1]
    snapshot_make("good", d0, 10_000)
    snapshot_make("broken", d0, 10_000, cash="0", positions={"NOPE": {"qty": 5, "value": "10000"}})
    eod_finalize_date(d0)
    snapshot_make("good", d1, 10_100)
    status = eod_finalize_date(d1)  # "broken" has no snapshot and no close for NOPE
    assert status.status == EODStatus.PARTIAL
    assert (status.strategies_total, status.strategies_processed) == (2, 1)
    assert status.baselines_processed == 1
    [error] = status.errors
    assert error["entity_id"] == "broken" and "NOPE" in error["error"]
    assert [r.trading_date for r in rows_of("good")] == [d0, d1]
    assert [r.trading_date for r in rows_of("broken")] == [d0]


def test_a_strategy_that_raises_is_isolated_and_all_failing_means_failed(qqq, monkeypatch):
    strategy_make("a", order=1)
    strategy_make("b", order=2)
    day = DAYS[0]
    snapshot_make("a", day, 10_000)
    snapshot_make("b", day, 10_000)
    real = eod.strategy_day_values

    def explode_for_b(day, snapshots, *args, **kwargs):
        if snapshots and snapshots[0].strategy_id == "b":
            raise RuntimeError("boom")
        return real(day, snapshots, *args, **kwargs)

    monkeypatch.setattr(eod, "strategy_day_values", explode_for_b)
    assert eod_finalize_date(day).status == EODStatus.PARTIAL

    def explode(*args, **kwargs):
        raise RuntimeError("down")

    monkeypatch.setattr(eod, "strategy_day_values", explode)
    status = eod_finalize_date(day)
    assert status.status == EODStatus.FAILED
    assert [e["entity_id"] for e in status.errors] == ["a", "b"]
    assert status.attempts == 2
    assert rows_of("a")[0].trading_date == day  # the earlier good row survives a failed re-run


def test_re_running_a_date_replaces_its_rows_with_identical_values(qqq):
    strategy_make("a")
    for day, equity in zip(DAYS[:4], equity_path(4), strict=True):
        snapshot_make("a", day, equity)
        eod_finalize_date(day)
    before = [row_values(r) for r in DailyPerformance.objects.order_by("entity_type", "trading_date")]
    count = DailyPerformance.objects.count()
    eod_finalize_date(DAYS[2])
    eod_finalize_date(DAYS[2])
    after = [row_values(r) for r in DailyPerformance.objects.order_by("entity_type", "trading_date")]
    assert DailyPerformance.objects.count() == count
    assert after == before
    assert EODJobStatus.objects.get(trading_date=DAYS[2]).attempts == 3


def test_re_running_an_earlier_date_with_new_evidence_recomputes_the_later_kpi_chain(qqq):
    strategy_make("a")
    path = equity_path(6)
    for day, equity in zip(DAYS[:6], path, strict=True):
        snapshot_make("a", day, equity)
        eod_finalize_date(day)
    path[2] = round(path[2] * 1.05, 2)
    snapshot_make("a", DAYS[2], path[2], hour=16, minute=30)  # a later, corrected closing snapshot
    eod_finalize_date(DAYS[2])
    rows = rows_of("a")
    expected = analyze_performance([(d, e) for d, e in zip(DAYS[:6], path, strict=True)])
    assert rows[-1].sharpe_ratio == pytest.approx(expected.sharpe, rel=1e-9)
    assert rows[-1].max_drawdown == pytest.approx(expected.max_drawdown, rel=1e-9, abs=1e-15)
    assert rows[3].daily_return == pytest.approx(path[3] / path[2] - 1, rel=1e-12)


def test_eod_publishes_data_refresh_after_commit(qqq, monkeypatch, django_capture_on_commit_callbacks):
    strategy_make("a")
    snapshot_make("a", DAYS[0], 10_000)
    sent = []
    monkeypatch.setattr(live_events, "send_now", lambda event, group="dashboard": sent.append(event))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        eod_finalize_date(DAYS[0])
    assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    [event] = [e for e in sent if e["type"] == "data_refresh"]
    assert event["refresh_type"] == "eod_finalization"
    assert event["strategies"] == ["a"] and event["date"] == DAYS[0].isoformat()


def test_recovery_redoes_missing_failed_partial_and_stuck_dates_oldest_first(qqq):
    today = DAYS[10]
    window = calendar.previous_trading_days(today, 7)
    now = timezone.now()
    make = EODJobStatus.objects.create
    make(trading_date=window[0], status=EODStatus.COMPLETED, started_at=now, completed_at=now)
    make(trading_date=window[1], status=EODStatus.FAILED, started_at=now)
    make(trading_date=window[2], status=EODStatus.RUNNING, started_at=now - timedelta(hours=2))  # stuck
    make(trading_date=window[3], status=EODStatus.RUNNING, started_at=now - timedelta(minutes=10))  # alive
    make(trading_date=window[4], status=EODStatus.PARTIAL, started_at=now, completed_at=now)
    make(trading_date=window[5], status=EODStatus.COMPLETED, started_at=now, completed_at=now)
    # window[6] has no status at all: missing
    assert eod_dates_to_recover(today) == [window[1], window[2], window[4], window[6]]

    strategy_make("a")
    for day in [*window[1:5], window[6], today]:  # the completed dates have no input (so need no row)
        snapshot_make("a", day, 10_000)
    summary = eod_run(today, trigger="test")
    # window[5] was completed while "a" had no rows; once window[1] gave it one, window[5] lacks its
    # marked-to-market row, and the same run finalises it too
    assert [s.trading_date for s in summary.recovered] == [window[1], window[2], window[4], window[6], window[5]]
    assert [r.trading_date for r in rows_of("a")] == [*window[1:3], *window[4:], today]
    assert summary.today_status.trading_date == today
    assert all(s.status == EODStatus.COMPLETED for s in summary.statuses)
    assert EODJobStatus.objects.get(trading_date=window[3]).status == EODStatus.RUNNING  # not stolen


def test_a_date_running_for_less_than_an_hour_cannot_be_claimed_but_a_stuck_one_can():
    day = DAYS[0]
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        eod_status_claim(day, trigger="first")
    with time_machine.travel(t0 + timedelta(minutes=59), tick=False), pytest.raises(ConflictError, match="running"):
        eod_status_claim(day, trigger="second")
    with time_machine.travel(t0 + timedelta(minutes=61), tick=False):
        status = eod_status_claim(day, trigger="third")
    assert status.trigger == "third" and status.attempts == 2


def test_a_missed_day_recovered_later_is_inserted_into_the_chain(qqq):
    strategy_make("a")
    path = equity_path(8)
    missed = DAYS[3]
    for day, equity in zip(DAYS[:8], path, strict=True):
        snapshot_make("a", day, equity)
        if day != missed:
            eod_finalize_date(day)
    rows = rows_of("a")
    assert missed not in [r.trading_date for r in rows]
    assert rows[3].days_since_previous == (DAYS[4] - DAYS[2]).days
    eod_finalize_date(missed)  # e.g. by the next run's recovery phase
    rows = rows_of("a")
    assert [r.trading_date for r in rows] == DAYS[:8]
    full = analyze_performance([(d, e) for d, e in zip(DAYS[:8], path, strict=True)])
    assert rows[-1].sharpe_ratio == pytest.approx(full.sharpe, rel=1e-9)
    assert rows[-1].trading_days_count == 8
    assert rows[4].days_since_previous == (DAYS[4] - DAYS[3]).days


def test_one_days_finalisation_uses_a_fixed_number_of_queries_whatever_the_number_of_strategies(qqq):
    def run(count: int, day: date) -> int:
        for n in range(count):
            sid = f"s{count}_{n}"
            strategy_make(sid, order=n)
            snapshot_make(sid, DAYS[0], 10_000)
        eod_finalize_date(DAYS[0])
        for n in range(count):
            snapshot_make(f"s{count}_{n}", day, 10_050)
        with CaptureQueriesContext(connection) as ctx:
            eod_finalize_date(day)
        return len(ctx.captured_queries)

    few = run(2, DAYS[1])
    many = run(8, DAYS[2])
    assert many == few
    assert few <= 20


def _finalised_window(today: date, ids=("a",)) -> list[date]:
    """Strategies with a snapshot on every day of the recovery window of ``today``, each day finalised."""
    window = calendar.previous_trading_days(today, 7)
    for n, sid in enumerate(ids):
        strategy_make(sid, order=n)
    for day, equity in zip(window, equity_path(len(window)), strict=True):
        for sid in ids:
            snapshot_make(sid, day, equity)
        assert eod_finalize_date(day).status == EODStatus.COMPLETED
    return window


def test_recovery_redoes_a_completed_date_whose_rows_were_deleted(qqq):
    today = DAYS[12]
    window = _finalised_window(today)
    before = {(r.entity_type, r.trading_date): row_values(r) for r in DailyPerformance.objects.all()}
    assert eod_dates_to_recover(today) == []
    gone = window[3]
    DailyPerformance.objects.filter(trading_date=gone).delete()  # its status still says completed
    assert EODJobStatus.objects.get(trading_date=gone).status == EODStatus.COMPLETED
    assert eod_dates_to_recover(today) == [gone]

    summary = eod_run(today, trigger="test")
    assert [s.trading_date for s in summary.recovered] == [gone]
    assert [r.trading_date for r in rows_of("a")] == [*window, today]
    assert [r.trading_date for r in rows_of("QQQ", EntityType.BASELINE)] == [*window, today]
    after = {(r.entity_type, r.trading_date): row_values(r) for r in DailyPerformance.objects.all()}
    assert {k: v for k, v in after.items() if k[1] != today} == before  # the same rows as before the loss
    nxt = rows_of("a")[4]
    assert nxt.days_since_previous == (window[4] - gone).days
    assert eod_dates_to_recover(today) == []


def test_recovery_redoes_a_completed_date_missing_only_a_baseline_or_a_marked_to_market_row(qqq):
    today = DAYS[12]
    window = _finalised_window(today, ids=("a", "b"))
    DailyPerformance.objects.filter(trading_date=window[1], entity_type=EntityType.BASELINE).delete()
    # "b" had no snapshot on window[5] but had history: its marked-to-market row should be there
    DailyPerformance.objects.filter(trading_date=window[5], entity_id="b").delete()
    PerformanceSnapshot.objects.filter(strategy_id="b", timestamp__range=day_bounds(window[5])).delete()
    # an entity without any input on a day is not expected: "c" starts after window[2]
    strategy_make("c", order=3)
    snapshot_make("c", window[6], 10_000)
    eod_finalize_date(window[6])
    assert eod_dates_to_recover(today) == [window[1], window[5]]
    eod_run(today, trigger="test")
    assert window[1] in [r.trading_date for r in rows_of("QQQ", EntityType.BASELINE)]
    row = DailyPerformance.objects.get(trading_date=window[5], entity_id="b")
    assert row.cash == rows_of("b")[4].cash  # marked to market from the previous row
    assert [r.trading_date for r in rows_of("c")] == [window[6], today]


def test_checking_the_recovery_window_takes_a_fixed_number_of_queries(qqq):
    today = DAYS[12]
    window = _finalised_window(today, ids=("a",))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert eod_dates_to_recover(today) == []
        return len(ctx.captured_queries)

    one = count()
    for n in range(5):
        strategy_make(f"more{n}", order=10 + n)
        for day in window:
            snapshot_make(f"more{n}", day, 10_000 + n)
    for day in window:
        eod_finalize_date(day)
    assert count() == one <= 6


def test_cumulative_return_and_cagr_are_measured_from_the_strategys_initial_capital(qqq):
    """The first snapshot is after the first day's fills (9,987.76 of 10,000); the rows' returns start at the
    capital, as the analyzer's and the backtest's do; the daily returns start at the first row."""
    strategy_make("a", capital="10000")
    path = [9_987.76, *equity_path(9)[1:]]
    for day, equity in zip(DAYS[:9], path, strict=True):
        snapshot_make("a", day, equity)
        eod_finalize_date(day)
    rows = rows_of("a")
    assert rows[0].cumulative_return == pytest.approx(9_987.76 / 10_000 - 1, rel=1e-12)
    assert rows[0].daily_return == 0.0 and rows[1].daily_return == pytest.approx(path[1] / path[0] - 1, rel=1e-12)
    full = analyze_performance(list(zip(DAYS[:9], path, strict=True)), initial_capital=10_000)
    assert rows[-1].cumulative_return == pytest.approx(full.total_return, rel=1e-12)
    assert rows[-1].cagr == pytest.approx(full.cagr, rel=1e-12)
    assert rows[-1].kpi_state["capital"] == 10_000.0
    baseline = rows_of("QQQ", EntityType.BASELINE)
    assert baseline[-1].cumulative_return == pytest.approx(qqq[DAYS[8]] / qqq[DAYS[0]] - 1, rel=1e-12)
