"""Equity refreshes: quotes → marks → a snapshot per account → ``data_refresh``; never regime, never trades."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from jutsu.models import JobStatus, JobTrigger
from jutsu.scheduler.runner import job_run, parse_as_of
from performance.models import PerformanceSnapshot
from strategies.services.registry import strategies_sync
from trading.executors.base import Fill
from trading.marketdata.importing import market_data_store_bars
from trading.models import LiveTrade, Position, RegimeState, Side, TradeReason
from trading.services.ledger import TradeContext, account_open, ledger_record_fill
from trading.services.orders import OrderRequest, orders_record
from trading.sources.base import RawBar

pytestmark = pytest.mark.django_db

DAY = date(2020, 6, 29)


def _bars(symbol: str, rows) -> None:
    market_data_store_bars(
        symbol=symbol,
        timeframe="1D",
        data_source="csv",
        raw_bars=[RawBar(d, o, h, lo, c, v) for d, o, h, lo, c, v in rows],
        operation="import",
        now=datetime(2020, 7, 2, tzinfo=UTC),
    )


def _buy(strategy_id: str, symbol: str, qty: int, price: str) -> None:
    (order,) = orders_record(
        strategy_id=strategy_id,
        mode="paper",
        day=DAY,
        requests=[OrderRequest(symbol, Side.BUY, qty, Decimal(price))],
        reason=TradeReason.REBALANCE,
    )
    at = datetime(2020, 6, 29, 20, 0, tzinfo=UTC)
    ledger_record_fill(order_id=order.pk, fill=Fill(qty, Decimal(price), Decimal("0"), at), context=TradeContext())


@pytest.fixture
def book():
    """v3_5b holds 20 QQQ (bought at 100); v3_5d is all cash."""
    strategies_sync()
    _bars("QQQ", [("2020-06-29", "100", "104", "99", "103", 5000), ("2020-06-30", "110", "116", "108", "115", 6000)])
    _bars("QQQ", [("2019-11-29", "200", "201", "199", "200.5", 100)])
    for strategy_id in ("v3_5b", "v3_5d"):
        account_open(strategy_id=strategy_id, mode="paper", day=DAY, initial_capital=Decimal("10000"))
    _buy("v3_5b", "QQQ", 20, "100")


def _snapshots(source: str) -> dict[str, PerformanceSnapshot]:
    return {s.strategy_id: s for s in PerformanceSnapshot.objects.filter(source=source)}


def test_hourly_refresh_marks_to_the_price_at_its_moment_and_snapshots_every_account(
    book, live_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = job_run("hourly_refresh", as_of=parse_as_of("2020-06-30T11:00:00-04:00"))
    assert run.status == JobStatus.SUCCESS, run.message
    position = Position.objects.get(strategy_id="v3_5b", mode="paper", symbol="QQQ")
    assert (position.quantity, position.last_price, position.market_value) == (20, Decimal(110), Decimal(2200))
    assert position.unrealized_pnl == Decimal(200)
    snaps = _snapshots("hourly_refresh")
    assert snaps["v3_5b"].total_equity == Decimal("10200")  # 8000 cash + 20 × 110 (the open: 11:00 replay)
    assert snaps["v3_5b"].positions == {"QQQ": {"qty": 20, "value": "2200.000000"}}
    assert snaps["v3_5d"].total_equity == Decimal("10000") and snaps["v3_5d"].positions == {}
    assert all(s.strategy_cell is None and s.trend_state == "" for s in snaps.values())  # never regime
    assert snaps["v3_5b"].timestamp == parse_as_of("2020-06-30T11:00:00-04:00")
    assert RegimeState.objects.count() == 0 and LiveTrade.objects.count() == 1  # nothing decided or traded
    refresh = [e for e in live_events if e["type"] == "data_refresh"]
    assert refresh == [{**refresh[0], "refresh_type": "hourly", "strategies": ["v3_5b", "v3_5d"], "date": "2020-06-30"}]


def test_market_close_refresh_marks_at_the_close(book):
    run = job_run("market_close_refresh", as_of=parse_as_of("2020-06-30T16:05:00-04:00"))
    assert run.status == JobStatus.SUCCESS, run.message
    snaps = _snapshots("market_close")
    assert snaps["v3_5b"].total_equity == Decimal("10300")  # 8000 + 20 × 115 (the close)
    assert Position.objects.get(symbol="QQQ").last_price == Decimal(115)


@pytest.mark.parametrize(
    ("job", "moment", "trigger"),
    [
        ("hourly_refresh", "2020-06-30T09:00:00-04:00", JobTrigger.SCHEDULE),  # before the open
        ("hourly_refresh", "2020-06-30T16:30:00-04:00", JobTrigger.SCHEDULE),  # after the close
        ("hourly_refresh", "2019-11-29T14:00:00-05:00", JobTrigger.SCHEDULE),  # half-day: closed at 13:00
        ("market_close_refresh", "2020-06-30T13:05:00-04:00", JobTrigger.SCHEDULE),  # the half-day entry
        ("market_close_refresh", "2019-11-29T16:05:00-05:00", JobTrigger.SCHEDULE),  # the 13:05 run did it
        ("hourly_refresh", "2020-07-03T11:00:00-04:00", JobTrigger.SCHEDULE),  # Independence Day observed
    ],
)
def test_refreshes_skip_outside_their_session_times(book, job, moment, trigger):
    run = job_run(job, as_of=parse_as_of(moment), trigger=trigger)
    assert run.status == JobStatus.SKIPPED
    assert PerformanceSnapshot.objects.count() == 0


def test_a_half_day_closes_at_13_and_is_refreshed_at_13_05(book):
    run = job_run("market_close_refresh", as_of=parse_as_of("2019-11-29T13:05:00-05:00"))
    # The accounts opened on 2020-06-29: on 2019-11-29 nothing existed yet to refresh.
    assert run.status == JobStatus.SKIPPED and "no trading account" in run.message


def test_a_manual_close_refresh_runs_later_in_the_evening(book):
    run = job_run("market_close_refresh", as_of=parse_as_of("2020-06-30T19:00:00-04:00"), trigger=JobTrigger.MANUAL)
    assert run.status == JobStatus.SUCCESS


def test_a_symbol_without_a_quote_keeps_its_previous_mark(book):
    _buy("v3_5d", "TQQQ", 10, "50")  # no TQQQ bars are stored: the replay cannot price it
    run = job_run("hourly_refresh", as_of=parse_as_of("2020-06-30T11:00:00-04:00"))
    assert run.status == JobStatus.SUCCESS
    assert "no quote (previous mark kept): TQQQ" in run.message
    assert _snapshots("hourly_refresh")["v3_5d"].total_equity == Decimal("10000")  # 9500 + 10 × 50
    assert Position.objects.get(symbol="TQQQ").last_price == Decimal(50)


def test_refresh_queries_grow_only_by_one_update_per_marked_position(book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trading.services.refresh import equity_refresh

    moment = parse_as_of("2020-06-30T11:00:00-04:00")
    with CaptureQueriesContext(connection) as one:
        assert equity_refresh(as_of=moment, refresh_type="hourly").marked == 1
    for symbol in ("TQQQ", "TLT"):
        _bars(symbol, [("2020-06-30", "50", "51", "49", "50.5", 100)])
        _buy("v3_5b", symbol, 5, "40")
    with CaptureQueriesContext(connection) as three:
        summary = equity_refresh(as_of=moment, refresh_type="hourly")
    assert summary.accounts == ["v3_5b/paper", "v3_5d/paper"] and summary.marked == 3
    assert len(three) == len(one) + 2  # one shared quote query; each extra position is one UPDATE
