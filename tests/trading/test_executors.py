"""Executors and the order driver: bookkeeping per mode, partial fills, aborts, the kill switch, re-runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from strategies.engine.portfolio import Costs, Portfolio
from trading.executors import Executor, Fill, OrderOutcome, OrderTicket, executor_for
from trading.models import LiveTrade, Order, OrderStatus, Position, Side, TradeReason, TradingAccount
from trading.services.ledger import TradeContext, account_open
from trading.services.orders import OrderRequest, orders_execute, orders_record

pytestmark = pytest.mark.django_db

DAY = date(2020, 6, 25)
AT = datetime(2020, 6, 25, 20, 0, tzinfo=UTC)
COSTS = Costs(commission_per_share=Decimal("0.01"), slippage=Decimal("0.001"))
CONTEXT = TradeContext(reason=TradeReason.REBALANCE, strategy_cell=3)


def plan(mode: str, *requests: OrderRequest, capital: str = "10000") -> list[Order]:
    account_open(strategy_id="s1", mode=mode, day=DAY, initial_capital=Decimal(capital))
    return orders_record(strategy_id="s1", mode=mode, day=DAY, requests=list(requests), reason=TradeReason.REBALANCE)


def cash(mode: str) -> Decimal:
    return TradingAccount.objects.get(strategy_id="s1", mode=mode).cash


def test_paper_fills_exactly_as_the_backtest_portfolio():
    orders = plan(
        "paper",
        OrderRequest("QQQ", Side.BUY, 30, Decimal("101.37")),
        OrderRequest("TQQQ", Side.BUY, 40, Decimal("55.5")),
    )
    report = orders_execute(orders, executor=executor_for("paper", costs=COSTS), context=CONTEXT, as_of=AT)
    engine = Portfolio(Decimal("10000"), COSTS)
    engine.rebalance(DAY, {"QQQ": 30, "TQQQ": 40}, {"QQQ": Decimal("101.37"), "TQQQ": Decimal("55.5")})
    booked = [(t.symbol, t.quantity, t.fill_price, t.commission) for t in LiveTrade.objects.order_by("id")]
    assert booked == [(f["symbol"], f["qty"], f["price"], f["commission"]) for f in engine.fills]
    assert cash("paper") == engine.cash
    assert report.filled == 2 and report.trades and not report.errors


def test_paper_scales_a_buy_down_to_the_cash_and_records_a_partial_fill():
    orders = plan("paper", OrderRequest("QQQ", Side.BUY, 200, Decimal("100")), capital="1000")
    orders_execute(orders, executor=executor_for("paper", costs=COSTS), context=CONTEXT, as_of=AT)
    order = Order.objects.get()
    assert order.requested_qty == 9 and order.filled_qty == 9  # 1000 // (100.1 + 0.01)
    assert order.status == OrderStatus.FILLED
    assert cash("paper") == Decimal("1000") - 9 * Decimal("100.1") - Decimal("0.09")
    assert cash("paper") >= 0


def test_offline_mock_fills_at_the_signal_price_without_costs():
    orders = plan("offline_mock", OrderRequest("QQQ", Side.BUY, 10, Decimal("101.37")))
    orders_execute(orders, executor=executor_for("offline_mock", costs=COSTS), context=CONTEXT, as_of=AT)
    trade = LiveTrade.objects.get()
    assert (trade.fill_price, trade.commission, trade.slippage_pct) == (Decimal("101.37"), 0, 0.0)
    assert cash("offline_mock") == Decimal("10000") - Decimal("1013.7")


def test_dry_run_records_intended_orders_only():
    orders = plan(
        "dry_run", OrderRequest("QQQ", Side.BUY, 10, Decimal("100")), OrderRequest("TQQQ", Side.BUY, 5, Decimal("50"))
    )
    report = orders_execute(orders, executor=executor_for("dry_run", costs=COSTS), context=CONTEXT, as_of=AT)
    assert report.dry_run == 2
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.DRY_RUN}
    assert not LiveTrade.objects.exists() and not Position.objects.exists()
    assert cash("dry_run") == Decimal("10000")


def test_a_stopped_engine_stops_the_remaining_orders():
    orders = plan(
        "paper", OrderRequest("QQQ", Side.BUY, 10, Decimal("100")), OrderRequest("TQQQ", Side.BUY, 5, Decimal("50"))
    )
    answers = iter([None, "engine is stopped"])
    report = orders_execute(
        orders, executor=executor_for("paper", costs=COSTS), context=CONTEXT, as_of=AT, guard=lambda: next(answers)
    )
    assert report.stopped == "engine is stopped"
    assert dict(Order.objects.values_list("symbol", "status")) == {
        "QQQ": OrderStatus.FILLED,
        "TQQQ": OrderStatus.PENDING,
    }


class Broker(Executor):
    """A stand-in broker with memory: fills what it is told to, remembers every order it saw."""

    mode = "online_live"

    def __init__(self, *, fill_ratio=1.0, slip=Decimal(0), abort_after: str | None = None, crash_on: str | None = None):
        self.seen: dict[str, OrderOutcome] = {}
        self.sent: list[str] = []
        self.fill_ratio, self.slip, self.abort_after, self.crash_on = fill_ratio, slip, abort_after, crash_on

    def send(self, ticket: OrderTicket) -> OrderOutcome:
        self.sent.append(ticket.client_order_id)
        qty = int(ticket.qty * self.fill_ratio)
        price = ticket.ref_price * (1 + self.slip if ticket.side == Side.BUY else 1 - self.slip)
        status = OrderStatus.FILLED if qty == ticket.qty else OrderStatus.PARTIALLY_FILLED
        outcome = OrderOutcome(
            status, [Fill(qty, price.quantize(Decimal("0.000001")), Decimal(0), ticket.as_of)] if qty else []
        )
        outcome.broker_order_id = f"B{len(self.sent)}"
        if self.abort_after == ticket.symbol:
            outcome.abort_remaining, outcome.error = True, "slippage 1.2% above the 1.0% abort limit"
        self.seen[ticket.client_order_id] = outcome
        if self.crash_on == ticket.symbol:
            raise KeyboardInterrupt("killed after the broker accepted the order")
        return outcome

    def lookup(self, ticket: OrderTicket) -> OrderOutcome | None:
        return self.seen.get(ticket.client_order_id)


def test_partial_fills_keep_orders_positions_and_cash_consistent():
    orders = plan("online_live", OrderRequest("QQQ", Side.BUY, 10, Decimal("100")))
    orders_execute(orders, executor=Broker(fill_ratio=0.5), context=CONTEXT, as_of=AT)
    order = Order.objects.get()
    assert (order.status, order.filled_qty, order.broker_order_id) == (OrderStatus.PARTIALLY_FILLED, 5, "B1")
    assert Position.objects.get().quantity == 5 and cash("online_live") == Decimal("9500")


def test_an_abort_mid_rebalance_cancels_the_rest_and_leaves_a_consistent_ledger():
    orders = plan(
        "online_live",
        OrderRequest("TMF", Side.BUY, 10, Decimal("30")),
        OrderRequest("QQQ", Side.BUY, 10, Decimal("100")),
        OrderRequest("TQQQ", Side.BUY, 10, Decimal("50")),
    )
    broker = Broker(slip=Decimal("0.012"), abort_after="QQQ")
    report = orders_execute(orders, executor=broker, context=CONTEXT, as_of=AT)
    assert broker.sent == ["s1:online_live:2020-06-25:TMF:BUY", "s1:online_live:2020-06-25:QQQ:BUY"]
    assert dict(Order.objects.values_list("symbol", "status")) == {
        "TMF": OrderStatus.FILLED,
        "QQQ": OrderStatus.FILLED,
        "TQQQ": OrderStatus.CANCELLED,
    }
    assert "abort limit" in report.stopped and "abort limit" in Order.objects.get(symbol="TQQQ").error
    spent = sum(t.fill_value + t.commission for t in LiveTrade.objects.all())
    assert cash("online_live") == Decimal("10000") - spent
    assert {p.symbol: p.quantity for p in Position.objects.all()} == {"TMF": 10, "QQQ": 10}


def test_a_run_killed_after_the_broker_accepted_an_order_never_trades_it_twice():
    requests = (
        OrderRequest("QQQ", Side.SELL, 1, Decimal("100")),
        OrderRequest("TQQQ", Side.BUY, 10, Decimal("50")),
    )
    account_open(strategy_id="s1", mode="online_live", day=DAY, initial_capital=Decimal("10000"))
    Position.objects.create(
        strategy_id="s1", mode="online_live", symbol="QQQ", quantity=1, avg_cost=90, last_updated=AT
    )
    orders = orders_record(
        strategy_id="s1", mode="online_live", day=DAY, requests=list(requests), reason=TradeReason.REBALANCE
    )
    broker = Broker(crash_on="QQQ")
    with pytest.raises(KeyboardInterrupt):
        orders_execute(orders, executor=broker, context=CONTEXT, as_of=AT)
    assert not LiveTrade.objects.exists()  # the process died before the fill was booked

    again = orders_record(
        strategy_id="s1", mode="online_live", day=DAY, requests=list(requests), reason=TradeReason.REBALANCE
    )
    assert [o.pk for o in again] == [o.pk for o in orders]  # same keys, same rows
    broker.crash_on = None
    orders_execute(again, executor=broker, context=CONTEXT, as_of=AT)
    assert broker.sent.count("s1:online_live:2020-06-25:QQQ:SELL") == 1  # looked up, not re-sent
    assert sorted(LiveTrade.objects.values_list("symbol", "action")) == [("QQQ", "SELL"), ("TQQQ", "BUY")]
    orders_execute(again, executor=broker, context=CONTEXT, as_of=AT)  # a third run: everything is final
    assert LiveTrade.objects.count() == 2 and len(broker.sent) == 2
