"""The ledger: one fill = order status + trade + position + cash in one transaction; positions = trades."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from jutsu.errors import ConflictError
from trading.executors.base import Fill
from trading.models import LiveTrade, Order, OrderStatus, Position, Side, TradeReason, TradingAccount
from trading.selectors import closed_trade_pnls
from trading.services.ledger import TradeContext, account_open, account_value, ledger_record_fill, positions_mark
from trading.services.orders import OrderRequest, orders_record

pytestmark = pytest.mark.django_db

DAY = date(2020, 6, 25)
AT = datetime(2020, 6, 25, 20, 0, tzinfo=UTC)
CONTEXT = TradeContext(reason=TradeReason.SIGNAL_CHANGE, strategy_cell=1, trend_state="BullStrong", vol_state="Low")


def order(symbol: str, side: str, qty: int, ref: str, day: date = DAY) -> Order:
    (row,) = orders_record(
        strategy_id="v3_5b",
        mode="paper",
        day=day,
        requests=[OrderRequest(symbol, side, qty, Decimal(ref))],
        reason=TradeReason.SIGNAL_CHANGE,
    )
    return row


@pytest.fixture
def account():
    return account_open(strategy_id="v3_5b", mode="paper", day=DAY, initial_capital=Decimal("10000"))


def test_a_buy_books_trade_position_cash_and_order_together(account, django_capture_on_commit_callbacks, live_events):
    buy = order("QQQ", Side.BUY, 20, "250.00")
    with django_capture_on_commit_callbacks(execute=True):
        trade = ledger_record_fill(
            order_id=buy.pk, fill=Fill(20, Decimal("250.25"), Decimal("0.20"), AT), context=CONTEXT
        )
    position = Position.objects.get(strategy_id="v3_5b", mode="paper", symbol="QQQ")
    assert position.quantity == 20
    assert position.avg_cost == Decimal("250.26")  # (20 × 250.25 + 0.20) / 20: cost includes the commission
    assert TradingAccount.objects.get(pk=account.pk).cash == Decimal("10000") - Decimal("5005.00") - Decimal("0.20")
    buy.refresh_from_db()
    assert (buy.status, buy.filled_qty, buy.avg_fill_price) == (OrderStatus.FILLED, 20, Decimal("250.25"))
    assert (trade.fill_value, trade.realized_pnl, trade.strategy_cell, trade.reason) == (
        Decimal("5005"),
        None,
        1,
        "Signal Change",
    )
    assert trade.slippage_pct == pytest.approx(0.1)
    assert [e["type"] for e in live_events] == ["trade_executed"]
    assert live_events[0]["trade"]["symbol"] == "QQQ" and live_events[0]["trade"]["context"]["strategy_cell"] == 1


def test_a_sell_realises_pnl_net_of_both_commissions_and_a_sold_out_position_keeps_its_row(account):
    ledger_record_fill(
        order_id=order("QQQ", Side.BUY, 10, "100").pk, fill=Fill(10, Decimal("100"), Decimal("1"), AT), context=CONTEXT
    )
    later = date(2020, 6, 26)
    sell = order("QQQ", Side.SELL, 10, "110", later)
    trade = ledger_record_fill(order_id=sell.pk, fill=Fill(10, Decimal("110"), Decimal("1"), AT), context=CONTEXT)
    assert trade.realized_pnl == Decimal("98")  # 10 × (110 − 100) − 1 − 1
    position = Position.objects.get(symbol="QQQ")
    assert (position.quantity, position.avg_cost, position.market_value) == (0, 0, 0)
    assert TradingAccount.objects.get(pk=account.pk).cash == Decimal("10098")
    assert closed_trade_pnls(["v3_5b"], "paper", DAY, later) == {("v3_5b", later): [98.0]}


def test_selling_more_than_the_position_is_refused_and_nothing_is_written(account):
    ledger_record_fill(
        order_id=order("TQQQ", Side.BUY, 5, "80").pk, fill=Fill(5, Decimal("80"), Decimal("0"), AT), context=CONTEXT
    )
    sell = order("TQQQ", Side.SELL, 6, "81")
    with pytest.raises(ConflictError, match="exceeds the position of 5"):
        ledger_record_fill(order_id=sell.pk, fill=Fill(6, Decimal("81"), Decimal("0"), AT), context=CONTEXT)
    assert LiveTrade.objects.count() == 1
    assert TradingAccount.objects.get(pk=account.pk).cash == Decimal("9600")
    sell.refresh_from_db()
    assert (sell.status, sell.filled_qty) == (OrderStatus.PENDING, 0)


def test_a_fill_beyond_the_requested_quantity_is_refused(account):
    buy = order("QQQ", Side.BUY, 3, "100")
    ledger_record_fill(order_id=buy.pk, fill=Fill(2, Decimal("100"), Decimal("0"), AT), context=CONTEXT)
    buy.refresh_from_db()
    assert buy.status == OrderStatus.SUBMITTED  # partly filled, more may come
    with pytest.raises(ConflictError, match="exceeds order"):
        ledger_record_fill(order_id=buy.pk, fill=Fill(2, Decimal("100"), Decimal("0"), AT), context=CONTEXT)


def test_positions_always_equal_the_signed_sum_of_their_trades(account):
    fills = [
        ("QQQ", Side.BUY, 7),
        ("TQQQ", Side.BUY, 4),
        ("QQQ", Side.SELL, 3),
        ("QQQ", Side.BUY, 2),
        ("TQQQ", Side.SELL, 4),
    ]
    for n, (symbol, side, qty) in enumerate(fills):
        row = order(symbol, side, qty, "50", date(2020, 7, 1 + n))
        ledger_record_fill(order_id=row.pk, fill=Fill(qty, Decimal("50"), Decimal("0.05"), AT), context=CONTEXT)
    net: dict[str, Decimal] = {}
    for trade in LiveTrade.objects.all():
        net[trade.symbol] = net.get(trade.symbol, 0) + trade.quantity * (1 if trade.action == Side.BUY else -1)
    assert {p.symbol: p.quantity for p in Position.objects.all()} == net == {"QQQ": 6, "TQQQ": 0}


def test_marking_to_market_changes_values_never_quantities(account):
    ledger_record_fill(
        order_id=order("QQQ", Side.BUY, 10, "100").pk, fill=Fill(10, Decimal("100"), Decimal("0"), AT), context=CONTEXT
    )
    assert positions_mark(strategy_id="v3_5b", mode="paper", prices={"QQQ": Decimal("105.5")}, at=AT) == 1
    position = Position.objects.get(symbol="QQQ")
    assert (position.quantity, position.market_value, position.unrealized_pnl) == (10, Decimal("1055"), Decimal("55"))
    value = account_value(TradingAccount.objects.get(pk=account.pk), {"QQQ": Decimal("105.5")})
    assert (value.cash, value.positions_value, value.equity) == (Decimal("9000"), Decimal("1055"), Decimal("10055"))
    assert value.positions == {"QQQ": {"qty": 10, "value": "1055.000000"}}


def test_an_account_opens_once_with_its_first_day_and_capital():
    first = account_open(strategy_id="v3_5d", mode="paper", day=DAY, initial_capital=Decimal("10000"))
    again = account_open(strategy_id="v3_5d", mode="paper", day=date(2020, 7, 1), initial_capital=Decimal("5"))
    assert again.pk == first.pk and again.started_on == DAY and again.cash == Decimal("10000")
