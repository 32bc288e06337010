"""The ``online_live`` executor driven by the real order driver against locally served Schwab answers.

Orders are recorded and driven exactly as the trading job does (``orders_record`` → ``orders_execute``); the
executor talks to Schwab through schwab-py, and respx plays Schwab. The executor's clock and sleep are fakes:
nothing waits on the wall clock.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import respx
import time_machine

from strategies.engine.portfolio import Costs
from tests.trading.schwab import (
    ACCOUNT,
    ACCOUNT_HASH,
    ORDERS,
    FakeClock,
    answer,
    order_location,
    schwab_order,
    store_token,
)
from trading.broker.connection import schwab_broker
from trading.executors import executor_for
from trading.executors.schwab import SchwabExecutor
from trading.models import LiveTrade, Order, OrderStatus, Position, Side, TradeReason, TradingAccount
from trading.notify import Notification, notify_sender_register
from trading.services.ledger import TradeContext, account_open
from trading.services.orders import OrderRequest, orders_execute, orders_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schwab_credentials")]

NOW = datetime(2026, 11, 24, 14, 45, tzinfo=UTC)  # Tuesday 09:45 New York
DAY = date(2026, 11, 24)
MODE = "online_live"
COSTS = Costs(commission_per_share=Decimal("0.01"), slippage=Decimal("0.001"))
CONTEXT = TradeContext(reason=TradeReason.REBALANCE, strategy_cell=2)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def logged_in():
    return store_token(issued_at=NOW - timedelta(days=1), account_hash=ACCOUNT_HASH)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def notified() -> list[Notification]:
    from trading import notify

    sent: list[Notification] = []
    notify_sender_register(sent.append)
    yield sent
    notify._senders.remove(sent.append)


@pytest.fixture
def cash_account():
    """The broker account (for buying power): $20,000 available."""
    return respx.get(ACCOUNT).mock(return_value=answer("schwab_account_cash.json"))


def executor(clock: FakeClock, **kwargs) -> SchwabExecutor:
    return SchwabExecutor(
        broker=schwab_broker(), costs=COSTS, clock=clock.clock, sleep=clock.sleep, now=lambda: NOW, **kwargs
    )


def plan(*requests: OrderRequest, capital: str = "10000", holdings: dict[str, int] | None = None) -> list[Order]:
    account_open(strategy_id="s1", mode=MODE, day=DAY, initial_capital=Decimal(capital))
    for symbol, qty in (holdings or {}).items():  # what earlier days bought (positions change only by trades)
        Position.objects.create(
            strategy_id="s1", mode=MODE, symbol=symbol, quantity=qty, avg_cost=Decimal("90"), last_updated=NOW
        )
    return orders_record(strategy_id="s1", mode=MODE, day=DAY, requests=list(requests), reason=TradeReason.REBALANCE)


def ledger() -> dict:
    account = TradingAccount.objects.get(strategy_id="s1", mode=MODE)
    return {
        "cash": account.cash,
        "positions": {p.symbol: p.quantity for p in Position.objects.filter(mode=MODE) if p.quantity},
        "trades": [(t.symbol, t.action, t.quantity, t.fill_price) for t in LiveTrade.objects.order_by("id")],
    }


def test_the_live_executor_is_registered_for_online_live():
    assert isinstance(executor_for(MODE, costs=COSTS), SchwabExecutor)


@respx.mock
def test_a_market_order_is_placed_and_its_fills_are_booked_when_schwab_reports_them(clock, cash_account):
    orders = plan(OrderRequest("QQQ", Side.BUY, 10, Decimal("500.00")))
    placed = respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    respx.get(f"{ORDERS}/1000000001").mock(
        side_effect=[answer("schwab_order_working.json"), answer("schwab_order_filled.json")]
    )

    report = orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)

    body = json.loads(placed.calls.last.request.content)
    assert body["orderType"] == "MARKET" and body["orderLegCollection"][0]["quantity"] == 10
    order = Order.objects.get()
    assert (order.status, order.filled_qty, order.broker_order_id) == (OrderStatus.FILLED, 10, "1000000001")
    assert order.avg_fill_price == Decimal("500.058")
    assert ledger() == {
        "cash": Decimal("10000") - 6 * Decimal("500.05") - 4 * Decimal("500.07"),
        "positions": {"QQQ": 10},
        "trades": [("QQQ", "BUY", 6, Decimal("500.05")), ("QQQ", "BUY", 4, Decimal("500.07"))],
    }
    trade = LiveTrade.objects.first()
    assert trade.commission == 0 and trade.broker_order_id == "1000000001" and trade.strategy_cell == 2
    assert trade.timestamp == datetime(2026, 11, 24, 14, 45, 2, tzinfo=UTC)
    assert clock.sleeps == [1.0] and report.filled == 1 and not report.errors


@respx.mock
def test_a_partial_fill_then_the_timeout_cancels_the_rest_and_books_what_filled(clock, cash_account):
    orders = plan(OrderRequest("QQQ", Side.BUY, 10, Decimal("500.00")))
    respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    partial = [(4, "500.10", "2026-11-24T14:45:03+0000")]
    working = schwab_order(1000000001, "QQQ", "BUY", 10, status="WORKING", executions=partial)
    cancelled = schwab_order(1000000001, "QQQ", "BUY", 10, status="CANCELED", executions=partial)
    cancel = respx.delete(f"{ORDERS}/1000000001").mock(return_value=httpx.Response(200))
    respx.get(f"{ORDERS}/1000000001").mock(
        side_effect=lambda request: httpx.Response(200, json=cancelled if cancel.called else working)
    )

    orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)

    assert cancel.call_count == 1 and clock.now == 30.0, "cancelled once the 30 s fill timeout passed"
    order = Order.objects.get()
    assert (order.status, order.filled_qty) == (OrderStatus.PARTIALLY_FILLED, 4)
    assert "not filled within 30 s" in order.error
    assert ledger() == {
        "cash": Decimal("10000") - 4 * Decimal("500.10"),
        "positions": {"QQQ": 4},
        "trades": [("QQQ", "BUY", 4, Decimal("500.1"))],
    }


@respx.mock
def test_an_unconfirmed_cancel_leaves_the_order_unknown_with_its_id_and_stops_the_rest(clock, cash_account):
    orders = plan(
        OrderRequest("QQQ", Side.BUY, 10, Decimal("500.00")), OrderRequest("TQQQ", Side.BUY, 5, Decimal("80"))
    )
    placed = respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    respx.delete(f"{ORDERS}/1000000001").mock(return_value=httpx.Response(200))
    respx.get(f"{ORDERS}/1000000001").mock(return_value=answer("schwab_order_working.json"))

    report = orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)

    statuses = dict(Order.objects.values_list("symbol", "status"))
    assert statuses == {"QQQ": OrderStatus.UNKNOWN, "TQQQ": OrderStatus.PENDING}
    assert Order.objects.get(symbol="QQQ").broker_order_id == "1000000001"
    assert placed.call_count == 1 and "not known" in report.stopped

    # the next run asks Schwab about that order by its id (it filled meanwhile) and goes on with the rest
    respx.get(f"{ORDERS}/1000000001").mock(return_value=answer("schwab_order_filled.json"))
    respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000002)))
    respx.get(f"{ORDERS}/1000000002").mock(
        return_value=httpx.Response(
            200, json=schwab_order(1000000002, "TQQQ", "BUY", 5, executions=[(5, "80.02", "2026-11-24T14:46:00+0000")])
        )
    )
    orders_execute(
        orders_record(
            strategy_id="s1",
            mode=MODE,
            day=DAY,
            requests=[
                OrderRequest("QQQ", Side.BUY, 10, Decimal("500.00")),
                OrderRequest("TQQQ", Side.BUY, 5, Decimal("80")),
            ],
            reason=TradeReason.REBALANCE,
        ),
        executor=executor(FakeClock()),
        context=CONTEXT,
        as_of=NOW,
    )
    assert dict(Order.objects.values_list("symbol", "status")) == {
        "QQQ": OrderStatus.FILLED,
        "TQQQ": OrderStatus.FILLED,
    }
    assert ledger()["positions"] == {"QQQ": 10, "TQQQ": 5}


@respx.mock
def test_an_order_schwab_refuses_is_rejected_and_the_next_one_still_goes(clock, cash_account):
    orders = plan(OrderRequest("QQQ", Side.BUY, 10, Decimal("500")), OrderRequest("TQQQ", Side.BUY, 5, Decimal("80")))
    respx.post(ORDERS).mock(
        side_effect=[
            answer("schwab_error_order_validation.json", status=400),
            httpx.Response(201, headers=order_location(1000000002)),
        ]
    )
    respx.get(f"{ORDERS}/1000000002").mock(
        return_value=httpx.Response(
            200, json=schwab_order(1000000002, "TQQQ", "BUY", 5, executions=[(5, "80.02", "2026-11-24T14:45:04+0000")])
        )
    )

    report = orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)

    rejected = Order.objects.get(symbol="QQQ")
    assert rejected.status == OrderStatus.REJECTED and "validation error occurred" in rejected.error
    assert Order.objects.get(symbol="TQQQ").status == OrderStatus.FILLED
    assert ledger()["trades"] == [("TQQQ", "BUY", 5, Decimal("80.02"))]
    assert any("validation error" in e for e in report.errors)


@respx.mock
def test_an_order_schwab_rejects_after_accepting_it_is_rejected(clock, cash_account):
    orders = plan(OrderRequest("QQQ", Side.BUY, 10, Decimal("500")))
    respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    respx.get(f"{ORDERS}/1000000001").mock(return_value=answer("schwab_order_rejected.json"))
    orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)
    order = Order.objects.get()
    assert (order.status, order.filled_qty, order.broker_order_id) == (OrderStatus.REJECTED, 0, "1000000001")
    assert not LiveTrade.objects.exists()


@respx.mock
def test_buys_are_capped_by_the_accounts_real_buying_power(clock):
    respx.get(ACCOUNT).mock(
        return_value=httpx.Response(
            200,
            json=_with_cash_available(answer("schwab_account_cash.json").json(), 1000),
        )
    )
    orders = plan(OrderRequest("QQQ", Side.BUY, 10, Decimal("100")), capital="5000")
    placed = respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    respx.get(f"{ORDERS}/1000000001").mock(
        return_value=httpx.Response(
            200, json=schwab_order(1000000001, "QQQ", "BUY", 9, executions=[(9, "100.02", "2026-11-24T14:45:02+0000")])
        )
    )

    orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)

    assert json.loads(placed.calls.last.request.content)["orderLegCollection"][0]["quantity"] == 9
    order = Order.objects.get()
    assert (order.requested_qty, order.filled_qty, order.status) == (9, 9, OrderStatus.FILLED)  # 1000 // 100.11


def _with_cash_available(body: dict, amount: int) -> dict:
    body["securitiesAccount"]["currentBalances"]["cashAvailableForTrading"] = float(amount)
    return body


# ── slippage ───────────────────────────────────────────────────────────────────────────────────────


@respx.mock
@pytest.mark.parametrize(
    "fill_price, level, slipped",
    [("501.60", "warning", "0.32%"), ("502.60", "high", "0.52%"), ("501.00", None, None)],
)
def test_slippage_warnings(
    clock, cash_account, notified, django_capture_on_commit_callbacks, fill_price, level, slipped
):
    orders = plan(OrderRequest("QQQ", Side.BUY, 10, Decimal("500")))
    respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    respx.get(f"{ORDERS}/1000000001").mock(
        return_value=httpx.Response(
            200,
            json=schwab_order(1000000001, "QQQ", "BUY", 10, executions=[(10, fill_price, "2026-11-24T14:45:02+0000")]),
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)
    order = Order.objects.get()
    assert order.status == OrderStatus.FILLED and not report.stopped
    warnings = [n for n in notified if n.kind == "slippage"]
    if level is None:
        assert not warnings and order.error == ""
    else:
        assert [w.context["level"] for w in warnings] == [level]
        assert slipped in order.error and slipped in warnings[0].title and "s1" in warnings[0].title


@respx.mock
def test_a_slippage_abort_mid_rebalance_sends_nothing_more_and_leaves_a_consistent_ledger(
    clock, cash_account, notified, django_capture_on_commit_callbacks
):
    orders = plan(
        OrderRequest("TLT", Side.SELL, 50, Decimal("92.00")),
        OrderRequest("QQQ", Side.BUY, 10, Decimal("500.00")),
        OrderRequest("TQQQ", Side.BUY, 20, Decimal("80.00")),
        holdings={"TLT": 50},
    )
    placed = respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    sold = schwab_order(1000000001, "TLT", "SELL", 50, executions=[(50, "90.95", "2026-11-24T14:45:02+0000")])
    respx.get(f"{ORDERS}/1000000001").mock(return_value=httpx.Response(200, json=sold))  # 1.14% below the ref

    with django_capture_on_commit_callbacks(execute=True):
        report = orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)

    assert placed.call_count == 1, "no order after the abort reached Schwab"
    assert dict(Order.objects.values_list("symbol", "status")) == {
        "TLT": OrderStatus.FILLED,
        "QQQ": OrderStatus.CANCELLED,
        "TQQQ": OrderStatus.CANCELLED,
    }
    assert "1.0% abort level" in report.stopped
    assert ledger() == {
        "cash": Decimal("10000") + 50 * Decimal("90.95"),
        "positions": {},
        "trades": [("TLT", "SELL", 50, Decimal("90.95"))],
    }
    assert [n.context["level"] for n in notified if n.kind == "slippage"] == ["abort"]
    # a re-run of the day sends nothing: every order is final
    orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)
    assert placed.call_count == 1 and LiveTrade.objects.count() == 1


# ── crash and re-run ───────────────────────────────────────────────────────────────────────────────


class Killed(BaseException):
    """The process dies (a worker killed mid-order): nothing after it runs."""


@respx.mock
def test_a_run_killed_after_placing_an_order_finds_it_at_schwab_and_never_sends_it_twice(cash_account):
    requests = [OrderRequest("QQQ", Side.SELL, 10, Decimal("500")), OrderRequest("TQQQ", Side.BUY, 5, Decimal("80"))]
    orders = plan(*requests, holdings={"QQQ": 10})
    placed = respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    respx.get(f"{ORDERS}/1000000001").mock(return_value=answer("schwab_order_working.json"))
    dying = FakeClock()

    def die(seconds):
        raise Killed()

    dying.sleep = die
    with pytest.raises(Killed):
        orders_execute(orders, executor=executor(dying), context=CONTEXT, as_of=NOW)
    qqq = Order.objects.get(symbol="QQQ")
    assert qqq.submitted_at is not None and qqq.broker_order_id == "" and qqq.status == OrderStatus.PENDING
    assert not LiveTrade.objects.exists() and placed.call_count == 1

    # the re-run: Schwab lists the day's orders; ours is the SELL of 10 QQQ entered after it was committed
    day_orders = respx.get(ORDERS).mock(
        return_value=httpx.Response(
            200,
            json=[
                schwab_order(999, "QQQ", "SELL", 10, entered="2026-11-24T14:30:00+0000"),  # earlier, by hand
                schwab_order(1000000000, "QQQ", "SELL", 3, entered="2026-11-24T14:45:00+0000"),  # other quantity
                schwab_order(1000000001, "QQQ", "SELL", 10, executions=[(10, "499.95", "2026-11-24T14:45:02+0000")]),
            ],
        )
    )
    respx.get(f"{ORDERS}/1000000001").mock(
        return_value=httpx.Response(
            200,
            json=schwab_order(1000000001, "QQQ", "SELL", 10, executions=[(10, "499.95", "2026-11-24T14:45:02+0000")]),
        )
    )
    respx.post(ORDERS).mock(side_effect=[httpx.Response(201, headers=order_location(1000000002))])
    respx.get(f"{ORDERS}/1000000002").mock(
        return_value=httpx.Response(
            200, json=schwab_order(1000000002, "TQQQ", "BUY", 5, executions=[(5, "80.01", "2026-11-24T14:47:00+0000")])
        )
    )
    again = orders_record(strategy_id="s1", mode=MODE, day=DAY, requests=requests, reason=TradeReason.REBALANCE)
    orders_execute(again, executor=executor(FakeClock()), context=CONTEXT, as_of=NOW)

    assert day_orders.called
    sent = [json.loads(c.request.content)["orderLegCollection"][0] for c in respx.calls if c.request.method == "POST"]
    assert [(leg["instruction"], leg["instrument"]["symbol"]) for leg in sent] == [("SELL", "QQQ"), ("BUY", "TQQQ")]
    assert Order.objects.get(symbol="QQQ").broker_order_id == "1000000001"
    assert ledger()["trades"] == [("QQQ", "SELL", 10, Decimal("499.95")), ("TQQQ", "BUY", 5, Decimal("80.01"))]
    assert ledger()["positions"] == {"TQQQ": 5}


@respx.mock
def test_an_order_that_never_reached_schwab_is_sent_on_the_re_run(cash_account):
    orders = plan(OrderRequest("QQQ", Side.BUY, 2, Decimal("500")))
    respx.post(ORDERS).mock(side_effect=httpx.ConnectError("connection refused"))
    report = orders_execute(orders, executor=executor(FakeClock()), context=CONTEXT, as_of=NOW)
    assert Order.objects.get().status == OrderStatus.UNKNOWN and "could not be reached" in report.errors[0]

    respx.get(ORDERS).mock(return_value=httpx.Response(200, json=[]))  # Schwab never saw it
    placed = respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000005)))
    respx.get(f"{ORDERS}/1000000005").mock(
        return_value=httpx.Response(200, json=schwab_order(1000000005, "QQQ", "BUY", 2))
    )
    orders_execute(Order.objects.all(), executor=executor(FakeClock()), context=CONTEXT, as_of=NOW)
    assert placed.call_count == 2, "the refused connection, then the one order Schwab received"
    assert Order.objects.get().status == OrderStatus.FILLED


@respx.mock
def test_a_refused_login_while_placing_stops_the_day_and_asks_for_a_new_login(clock, cash_account):
    orders = plan(OrderRequest("QQQ", Side.BUY, 2, Decimal("500")), OrderRequest("TQQQ", Side.BUY, 2, Decimal("80")))
    respx.post(ORDERS).mock(return_value=httpx.Response(401, json={"error": "invalid_token"}))
    report = orders_execute(orders, executor=executor(clock), context=CONTEXT, as_of=NOW)
    assert "log in to Schwab again" in report.errors[0] and report.stopped
    assert dict(Order.objects.values_list("symbol", "status")) == {
        "QQQ": OrderStatus.UNKNOWN,
        "TQQQ": OrderStatus.PENDING,
    }
