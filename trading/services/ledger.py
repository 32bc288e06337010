"""The ledger: the only writer of trading accounts, positions and trades.

``ledger_record_fill`` books one fill in **one transaction**: the order's filled quantity and status, the
``LiveTrade``, the ``Position`` (quantity, average cost, mark) and the account's cash — so positions always
equal the sum of their trades and cash always matches them. ``trade_executed`` and the notification follow
after the commit. No broker is called from here.

Money arithmetic is the engine's (``strategies.engine.portfolio``): a buy costs qty × fill price +
commission, a sell brings qty × fill price − commission; all amounts keep 6 decimals, so a paper ledger and a
backtest over the same fills hold the same cash to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import transaction

from jutsu.errors import ConflictError, InvalidParameter
from trading.executors.base import Fill
from trading.models import (
    LiveTrade,
    Order,
    OrderStatus,
    Position,
    Side,
    TradeReason,
    TradingAccount,
)

SIX_PLACES = Decimal("0.000001")
ZERO = Decimal(0)


def money(value: Decimal) -> Decimal:
    """``value`` rounded half-even to the ledger's 6 decimals."""
    return value.quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class TradeContext:
    """Why a trade happened and the strategy's regime at the decision (stored on every ``LiveTrade``)."""

    reason: str = TradeReason.REBALANCE
    strategy_cell: int | None = None
    trend_state: str = ""
    vol_state: str = ""
    t_norm: float | None = None
    z_score: float | None = None

    @classmethod
    def from_regime(cls, regime: Mapping[str, Any] | None, *, reason: str) -> TradeContext:
        """From a strategy's regime row (``cell``, ``trend_state``, ``vol_state``, ``t_norm``, ``z_score``)."""
        regime = regime or {}
        return cls(
            reason=reason,
            strategy_cell=regime.get("cell"),
            trend_state=regime.get("trend_state") or "",
            vol_state=regime.get("vol_state") or "",
            t_norm=_finite(regime.get("t_norm")),
            z_score=_finite(regime.get("z_score")),
        )


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


# ── accounts ──────────────────────────────────────────────────────────────────────────────────────


def account_open(*, strategy_id: str, mode: str, day: date, initial_capital: Decimal) -> TradingAccount:
    """The account of ``strategy_id`` in ``mode``; created on its first trading day ``day`` with its capital."""
    capital = money(Decimal(initial_capital))
    if capital <= 0:
        raise InvalidParameter(f"initial capital of {strategy_id} must be positive, got {initial_capital}")
    account, _ = TradingAccount.objects.get_or_create(
        strategy_id=strategy_id,
        mode=mode,
        defaults={"started_on": day, "initial_capital": capital, "cash": capital},
    )
    return account


def account_mark_traded(account: TradingAccount, day: date) -> None:
    """Record that the trading job completed ``day`` for this account (never moves backwards)."""
    TradingAccount.objects.filter(pk=account.pk).exclude(last_trading_date__gt=day).update(last_trading_date=day)
    account.refresh_from_db(fields=["last_trading_date"])


@dataclass(frozen=True)
class AccountValue:
    """An account marked at given prices. ``positions`` is ``{symbol: {"qty": int|str, "value": str}}``."""

    cash: Decimal
    positions_value: Decimal
    quantities: dict[str, Decimal] = field(default_factory=dict)
    values: dict[str, Decimal] = field(default_factory=dict)

    @property
    def equity(self) -> Decimal:
        return self.cash + self.positions_value

    @property
    def positions(self) -> dict[str, dict[str, Any]]:
        return {
            symbol: {"qty": _json_qty(qty), "value": str(self.values[symbol])}
            for symbol, qty in sorted(self.quantities.items())
        }


def _json_qty(qty: Decimal) -> int | str:
    return int(qty) if qty == qty.to_integral_value() else str(qty)


def account_value(account: TradingAccount, prices: Mapping[str, Decimal]) -> AccountValue:
    """Cash plus every held position marked at ``prices`` (each held symbol must have one)."""
    from trading.selectors import positions_held

    quantities: dict[str, Decimal] = {}
    values: dict[str, Decimal] = {}
    for symbol, position in positions_held(account.strategy_id, account.mode).items():
        price = prices.get(symbol)
        if price is None:
            raise InvalidParameter(f"no price to mark {symbol} held by {account.strategy_id}/{account.mode}")
        quantities[symbol] = position.quantity
        values[symbol] = money(position.quantity * price)
    return AccountValue(
        cash=account.cash, positions_value=sum(values.values(), ZERO), quantities=quantities, values=values
    )


# ── fills ─────────────────────────────────────────────────────────────────────────────────────────


def ledger_record_fill(
    *,
    order_id: int,
    fill: Fill,
    context: TradeContext,
    order_status: str | None = None,
    broker_order_id: str = "",
) -> LiveTrade:
    """Book one fill of an order (see the module docstring) and return its trade.

    ``order_status`` is the order's status after this fill (default: ``filled`` once the whole requested
    quantity is filled, ``submitted`` before). A sell larger than the position, or a fill beyond the order's
    requested quantity, is refused (``ConflictError``) and nothing is written.
    """
    qty = Decimal(fill.qty)
    if qty <= 0 or fill.price <= 0:
        raise InvalidParameter(f"a fill needs a positive quantity and price, got {fill.qty} @ {fill.price}")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.filled_qty + qty > order.requested_qty:
            raise ConflictError(
                f"fill of {qty:f} {order.symbol} exceeds order {order.client_order_id} "
                f"({order.filled_qty:f} of {order.requested_qty:f} already filled)"
            )
        account = TradingAccount.objects.select_for_update().get(strategy_id=order.strategy_id, mode=order.mode)
        position = _position_for_update(order, fill.at)
        trade = _book(order, account, position, fill, qty, context, broker_order_id)
        filled = order.filled_qty + qty
        order.avg_fill_price = money(((order.avg_fill_price or ZERO) * order.filled_qty + fill.price * qty) / filled)
        order.filled_qty = filled
        order.status = order_status or (OrderStatus.FILLED if filled == order.requested_qty else OrderStatus.SUBMITTED)
        if broker_order_id:
            order.broker_order_id = broker_order_id
        order.save(update_fields=["filled_qty", "avg_fill_price", "status", "broker_order_id", "updated_at"])
        transaction.on_commit(lambda: _announce(trade))
    return trade


def _position_for_update(order: Order, at: datetime) -> Position:
    position = (
        Position.objects.select_for_update()
        .filter(strategy_id=order.strategy_id, mode=order.mode, symbol=order.symbol)
        .first()
    )
    if position is None:
        position = Position(strategy_id=order.strategy_id, mode=order.mode, symbol=order.symbol, last_updated=at)
    return position


def _book(order, account, position, fill: Fill, qty: Decimal, context: TradeContext, broker_order_id: str):
    value = qty * fill.price
    commission = money(fill.commission)
    realized = None
    if order.side == Side.BUY:
        held = position.quantity + qty
        position.avg_cost = money((position.quantity * position.avg_cost + value + commission) / held)
        account.cash = account.cash - value - commission
    else:
        if qty > position.quantity:
            raise ConflictError(
                f"sell of {qty:f} {order.symbol} exceeds the position of {position.quantity:f} "
                f"({order.strategy_id}/{order.mode})"
            )
        held = position.quantity - qty
        realized = money(value - commission - qty * position.avg_cost)
        account.cash = account.cash + value - commission
        if held == 0:
            position.avg_cost = ZERO
    position.quantity = held
    position.last_price = fill.price
    position.market_value = money(held * fill.price)
    position.unrealized_pnl = money(held * (fill.price - position.avg_cost))
    position.last_updated = fill.at
    position.save()
    account.save(update_fields=["cash", "updated_at"])
    adverse = (fill.price - order.ref_price) if order.side == Side.BUY else (order.ref_price - fill.price)
    return LiveTrade.objects.create(
        strategy_id=order.strategy_id,
        mode=order.mode,
        symbol=order.symbol,
        timestamp=fill.at,
        trading_date=order.trading_date,
        action=order.side,
        quantity=qty,
        target_price=order.ref_price,
        fill_price=fill.price,
        fill_value=money(value),
        commission=commission,
        slippage_pct=float(adverse / order.ref_price * 100),
        realized_pnl=realized,
        broker_order_id=broker_order_id or order.broker_order_id,
        strategy_cell=context.strategy_cell,
        trend_state=context.trend_state,
        vol_state=context.vol_state,
        t_norm=context.t_norm,
        z_score=context.z_score,
        reason=context.reason,
        order=order,
    )


def _announce(trade: LiveTrade) -> None:
    from trading.events import trade_executed_publish
    from trading.notify import notify_trade_executed

    trade_executed_publish(trade)
    notify_trade_executed(trade)


# ── marks ─────────────────────────────────────────────────────────────────────────────────────────


def positions_mark(*, strategy_id: str, mode: str, prices: Mapping[str, Decimal], at: datetime) -> int:
    """Mark the held positions to ``prices`` (last price, market value, unrealised P&L); quantities and cost
    never change here. Symbols without a price keep their previous mark. Returns the positions marked."""
    marked = 0
    with transaction.atomic():
        for position in Position.objects.select_for_update().filter(
            strategy_id=strategy_id, mode=mode, quantity__gt=0, symbol__in=list(prices)
        ):
            price = prices[position.symbol]
            position.last_price = price
            position.market_value = money(position.quantity * price)
            position.unrealized_pnl = money(position.quantity * (price - position.avg_cost))
            position.last_updated = at
            position.save(update_fields=["last_price", "market_value", "unrealized_pnl", "last_updated"])
            marked += 1
    return marked
