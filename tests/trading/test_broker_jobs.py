"""The broker's scheduled jobs: the token-expiry check (escalations only) and the after-close reconciliation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import respx
import time_machine
from django.test import TestCase

from jutsu.scheduler.runner import job_run
from tests.trading.schwab import ACCOUNT_HASH, ORDERS, schwab_order, store_token, wrapped_token
from trading.broker.tokens import broker_token_save
from trading.executors import Fill
from trading.models import (
    BrokerToken,
    EngineState,
    LiveTrade,
    ReconciliationReport,
    ReconciliationStatus,
    Side,
    TradeReason,
)
from trading.notify import Notification, notify_sender_register
from trading.services.ledger import TradeContext, account_open, ledger_record_fill
from trading.services.orders import OrderRequest, orders_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schwab_credentials")]

LOGIN = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)  # a Friday, 08:00 New York
DAY = date(2026, 11, 24)
CLOSE_CHECK = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # 17:00 New York


@pytest.fixture
def notified():
    """Notifications sent (runs go through ``run()``, which delivers what is sent after commit)."""
    from trading import notify

    sent: list[Notification] = []
    notify_sender_register(sent.append)
    yield sent
    notify._senders.remove(sent.append)


def run(name: str, at: datetime):
    """``job_run`` at the frozen moment ``at``, with the after-commit callbacks (notifications) executed."""
    with time_machine.travel(at, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return job_run(name, as_of=at)


def alerts(notified, kind: str) -> list[Notification]:
    return [n for n in notified if n.kind == kind]


# ── token expiry ───────────────────────────────────────────────────────────────────────────────────


def check(at: datetime):
    return run("token_expiry_check", at)


def test_the_expiry_check_alerts_only_when_the_tier_escalates_and_a_new_login_resets_it(notified):
    with time_machine.travel(LOGIN, tick=False):
        store_token(issued_at=LOGIN, account_hash=ACCOUNT_HASH)
    schedule = [
        (timedelta(days=1), None),  # 6 days left
        (timedelta(days=2, hours=1), "5d"),  # 4 d 23 h left
        (timedelta(days=2, hours=13), None),  # still 5d: no second alert
        (timedelta(days=3), None),
        (timedelta(days=5, hours=1), "2d"),
        (timedelta(days=5, hours=13), None),
        (timedelta(days=6, hours=1), "1d"),
        (timedelta(days=6, hours=13), "12h"),
        (timedelta(days=7, hours=1), "expired"),
        (timedelta(days=7, hours=13), None),  # expired stays expired: no repeat
    ]
    for offset, expected in schedule:
        before = len(alerts(notified, "token_expiry"))
        run = check(LOGIN + offset)
        fired = alerts(notified, "token_expiry")[before:]
        assert [n.context["tier"] for n in fired] == ([expected] if expected else []), f"after {offset}: {run.message}"
        assert run.status == "success"
    assert BrokerToken.objects.get().expiry_alert_tier == "expired"
    expired = alerts(notified, "token_expiry")[-1]
    assert "log in again" in expired.body.lower() and "expired" in expired.title

    relogin = LOGIN + timedelta(days=8)
    broker_token_save(wrapped_token(issued_at=relogin, access_expires_at=relogin + timedelta(minutes=30)))
    assert BrokerToken.objects.get().expiry_alert_tier == ""
    before = len(alerts(notified, "token_expiry"))
    check(relogin + timedelta(days=1))
    run = check(relogin + timedelta(days=2, hours=1))
    assert [n.context["tier"] for n in alerts(notified, "token_expiry")[before:]] == ["5d"]
    assert "alerted" in run.message


def test_a_check_that_missed_tiers_alerts_once_with_the_most_urgent(notified):
    with time_machine.travel(LOGIN, tick=False):
        store_token(issued_at=LOGIN)
    check(LOGIN + timedelta(days=6, hours=2))  # 22 h left: straight to 1d
    assert [n.context["tier"] for n in alerts(notified, "token_expiry")] == ["1d"]


def test_the_expiry_check_runs_every_day_and_skips_without_a_token():
    from jutsu.scheduler.registry import get_job

    spec = get_job("token_expiry_check")
    assert spec.trading_days_only is False and spec.schedules() == [{"minute": "0", "hour": "8,20"}]
    saturday = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    run = check(saturday)
    assert run.status == "skipped" and "no Schwab token" in run.message


# ── reconciliation ─────────────────────────────────────────────────────────────────────────────────


def live_fill(
    strategy_id: str, symbol: str, side: str, qty: int, price: str, broker_order_id: str, *, ref: str = "100"
) -> None:
    """A live fill recorded the way the executor's outcome is booked."""
    account_open(strategy_id=strategy_id, mode="online_live", day=DAY, initial_capital=Decimal("100000"))
    (order,) = orders_record(
        strategy_id=strategy_id,
        mode="online_live",
        day=DAY,
        requests=[OrderRequest(symbol, side, qty, Decimal(ref))],
        reason=TradeReason.REBALANCE,
    )
    ledger_record_fill(
        order_id=order.pk,
        fill=Fill(qty, Decimal(price), Decimal(0), datetime(2026, 11, 24, 14, 45, 2, tzinfo=UTC)),
        context=TradeContext(reason=TradeReason.REBALANCE, strategy_cell=1),
        broker_order_id=broker_order_id,
    )


def executed(order_id: int, symbol: str, side: str, qty: int, price: str, **kwargs) -> dict:
    return schwab_order(order_id, symbol, side, qty, executions=[(qty, price, "2026-11-24T14:45:02+0000")], **kwargs)


@pytest.fixture
def live_engine(db):
    EngineState.objects.update_or_create(pk=EngineState.SINGLETON_PK, defaults={"mode": "online_live"})


@pytest.fixture
def logged_in():
    with time_machine.travel(CLOSE_CHECK, tick=False):
        store_token(issued_at=CLOSE_CHECK - timedelta(days=1), account_hash=ACCOUNT_HASH)


def reconcile_day():
    return run("reconciliation", CLOSE_CHECK)


@respx.mock
def test_a_day_where_every_fill_agrees_is_matched_and_the_trades_are_reconciled(live_engine, logged_in, notified):
    live_fill("v3_5b", "QQQ", Side.BUY, 10, "500.05", "1000000001")
    live_fill("v3_5d", "TQQQ", Side.BUY, 20, "80.02", "1000000002")
    route = respx.get(ORDERS).mock(
        return_value=httpx.Response(
            200,
            json=[
                executed(1000000001, "QQQ", "BUY", 10, "500.05"),
                executed(1000000002, "TQQQ", "BUY", 20, "80.02"),
                schwab_order(1000000003, "TLT", "SELL", 5, status="CANCELED"),  # nothing executed: not compared
            ],
        )
    )

    run = reconcile_day()

    params = route.calls.last.request.url.params
    assert params["fromEnteredTime"].startswith("2026-11-24T05:00:00")  # the New York day
    assert run.status == "success" and "2 matched" in run.message
    report = ReconciliationReport.objects.get()
    assert (report.status, report.matched, report.broker_orders, report.local_trades) == (
        ReconciliationStatus.MATCHED,
        2,
        2,
        2,
    )
    assert set(LiveTrade.objects.values_list("reconciled", flat=True)) == {True}
    assert not alerts(notified, "reconciliation_mismatch")


@respx.mock
def test_each_kind_of_difference_is_reported_flagged_and_notified(live_engine, logged_in, notified):
    live_fill("v3_5b", "QQQ", Side.BUY, 10, "500.05", "1000000001")  # matches
    live_fill("v3_5b", "TQQQ", Side.BUY, 20, "80.02", "1000000002")  # Schwab filled it at 80.10
    live_fill("v3_5b", "TMF", Side.BUY, 30, "55.00", "1000000003")  # Schwab filled 32 shares
    live_fill("v3_5b", "PSQ", Side.BUY, 5, "40.00", "1000000004")  # Schwab has no such execution
    respx.get(ORDERS).mock(
        return_value=httpx.Response(
            200,
            json=[
                executed(1000000001, "QQQ", "BUY", 10, "500.05"),
                executed(1000000002, "TQQQ", "BUY", 20, "80.10"),
                executed(1000000003, "TMF", "BUY", 32, "55.00"),
                executed(1000000009, "TLT", "SELL", 7, "91.50"),  # placed by hand in the Schwab app
            ],
        )
    )

    run = reconcile_day()

    report = ReconciliationReport.objects.get()
    assert report.status == ReconciliationStatus.MISMATCH
    assert report.summary == {
        "matched": 1,
        "missing_locally": 1,
        "missing_at_broker": 1,
        "price_mismatch": 1,
        "quantity_mismatch": 1,
    }
    kinds = {item["symbol"]: item["kind"] for item in report.items}
    assert kinds == {
        "QQQ": "matched",
        "TQQQ": "price_mismatch",
        "TMF": "quantity_mismatch",
        "TLT": "missing_locally",
        "PSQ": "missing_at_broker",
    }
    tqqq = next(item for item in report.items if item["symbol"] == "TQQQ")
    assert (tqqq["local_price"], tqqq["broker_price"]) == ("80.020000", "80.100000")
    assert dict(LiveTrade.objects.values_list("symbol", "reconciled")) == {
        "QQQ": True,
        "TQQQ": False,
        "TMF": False,
        "PSQ": False,
    }
    (alert,) = alerts(notified, "reconciliation_mismatch")
    assert "1 price mismatch" in alert.title and "1 missing locally" in alert.title
    assert "TLT" in alert.body and "v3_5b" in alert.body
    assert "1 matched, 1 missing locally" in run.message


@respx.mock
def test_a_fill_recorded_without_a_broker_order_id_is_matched_by_symbol_side_and_quantity(
    live_engine, logged_in, notified
):
    live_fill("v3_5b", "QQQ", Side.BUY, 10, "499.95", "")
    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=[executed(1000000001, "QQQ", "BUY", 10, "499.95")]))
    reconcile_day()
    report = ReconciliationReport.objects.get()
    assert report.status == ReconciliationStatus.MATCHED and report.items[0]["broker_order_id"] == "1000000001"
    assert LiveTrade.objects.get().reconciled


@respx.mock
def test_a_rerun_replaces_the_days_report(live_engine, logged_in, notified):
    live_fill("v3_5b", "QQQ", Side.BUY, 10, "500.05", "1000000001")
    route = respx.get(ORDERS).mock(return_value=httpx.Response(200, json=[]))
    reconcile_day()
    assert ReconciliationReport.objects.get().missing_at_broker == 1
    route.mock(return_value=httpx.Response(200, json=[executed(1000000001, "QQQ", "BUY", 10, "500.05")]))
    reconcile_day()
    report = ReconciliationReport.objects.get()
    assert report.status == ReconciliationStatus.MATCHED and LiveTrade.objects.get().reconciled


def test_reconciliation_is_skipped_unless_trading_live(logged_in):
    run = reconcile_day()
    assert run.status == "skipped" and "not in online_live" in run.message
    assert not ReconciliationReport.objects.exists()


@respx.mock
def test_live_orders_of_the_day_are_reconciled_after_a_switch_back_to_paper(logged_in, notified):
    EngineState.objects.update_or_create(pk=EngineState.SINGLETON_PK, defaults={"mode": "paper"})
    live_fill("v3_5b", "QQQ", Side.BUY, 10, "500.05", "1000000001")
    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=[executed(1000000001, "QQQ", "BUY", 10, "500.05")]))
    assert reconcile_day().status == "success"
    assert ReconciliationReport.objects.get().matched == 1


@respx.mock
def test_a_broker_failure_fails_the_run_with_the_reason(live_engine, logged_in):
    respx.get(ORDERS).mock(return_value=httpx.Response(401, json={"error": "invalid_token"}))
    run = reconcile_day()
    assert run.status == "failed" and "log in to Schwab again" in run.message


def test_reconciliation_runs_at_five_on_trading_days():
    from jutsu.scheduler.registry import get_job

    spec = get_job("reconciliation")
    assert spec.trading_days_only and spec.queue == "live"
    assert spec.schedules() == [{"minute": "0", "hour": "17", "day_of_week": "mon-fri"}]
    thanksgiving = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
    assert job_run("reconciliation", as_of=thanksgiving).status == "skipped"
