"""Orders — the idempotency record — and driving them through an executor.

The lifecycle of one order::

    orders_record     an Order row per planned order, committed before anything is sent
    (engine check)    a stopped engine stops the remaining orders (the kill switch)
    order_mark_sent   ``submitted_at`` committed just before the executor is called
    executor.send     … or executor.lookup when ``submitted_at`` was already set (a re-run after a crash)
    ledger            each fill booked in its own transaction (trading.services.ledger)
    order_finish      the final status, broker order id and error

A re-run finds the rows by their key and never sends a final order again; an order that was marked sent but
has no final status is looked up at the broker first (for the simulated modes the ledger is the broker: no
recorded fill means it never filled, and it is sent). Nothing here runs inside a transaction while an
executor is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from trading.executors.base import Executor, Fill, OrderOutcome, OrderTicket
from trading.models import FINAL_ORDER_STATUSES, Order, OrderStatus, Side, TradeReason, TradingAccount
from trading.services.ledger import TradeContext, ledger_record_fill

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderRequest:
    """One order to record: ``side`` ``"BUY"``/``"SELL"``, whole-share ``qty``, reference price."""

    symbol: str
    side: str
    qty: int
    ref_price: Decimal


def order_key(strategy_id: str, mode: str, day: date, symbol: str, side: str, suffix: str = "") -> str:
    """The client order id: ``<strategy>:<mode>:<day>:<symbol>:<side>`` plus an optional suffix."""
    key = f"{strategy_id}:{mode}:{day.isoformat()}:{symbol}:{side}"
    return f"{key}:{suffix}" if suffix else key


def orders_record(
    *,
    strategy_id: str,
    mode: str,
    day: date,
    requests: Sequence[OrderRequest],
    reason: str,
    trading_run=None,
    manual_kind: str = "",
) -> list[Order]:
    """Record the orders (status ``pending``) in one committed transaction and return them in plan order.

    Trading-job orders are keyed per (strategy, mode, day, symbol, side): an order whose key exists is kept
    as it is (never duplicated). Manual orders (``manual_kind`` ``"manual"`` or ``"flatten"``) get the
    suffix ``<kind>:<n>``, counting the day's manual orders, so every manual action is a new order.
    """
    if manual_kind and reason != TradeReason.MANUAL:
        raise ValueError("manual orders carry the reason Manual")
    orders: list[Order] = []
    with transaction.atomic():
        manual_seen = Order.objects.filter(
            strategy_id=strategy_id, mode=mode, trading_date=day, reason=TradeReason.MANUAL
        ).count()
        for sequence, request in enumerate(requests):
            if request.side not in Side.values or request.qty <= 0:
                raise ValueError(f"invalid order request {request}")
            suffix = f"{manual_kind}:{manual_seen + sequence + 1}" if manual_kind else ""
            key = order_key(strategy_id, mode, day, request.symbol, request.side, suffix)
            order, _ = Order.objects.get_or_create(
                client_order_id=key,
                defaults={
                    "strategy_id": strategy_id,
                    "mode": mode,
                    "trading_date": day,
                    "symbol": request.symbol,
                    "side": request.side,
                    "reason": reason,
                    "requested_qty": Decimal(request.qty),
                    "ref_price": request.ref_price,
                    "sequence": sequence,
                    "trading_run": trading_run,
                },
            )
            orders.append(order)
    return orders


def order_mark_sent(order: Order, *, qty: Decimal | None = None) -> None:
    """Commit that ``order`` is about to be sent (optionally with its quantity reduced to fit the cash)."""
    order.submitted_at = timezone.now()
    fields = ["submitted_at", "updated_at"]
    if qty is not None and qty != order.requested_qty:
        order.requested_qty = qty
        fields.append("requested_qty")
    order.save(update_fields=fields)


def order_finish(order: Order, *, status: str, broker_order_id: str = "", error: str = "") -> None:
    """Set the order's status after the executor answered (fills are already booked by the ledger)."""
    order.refresh_from_db()
    order.status = status
    if broker_order_id:
        order.broker_order_id = broker_order_id
    if error:
        order.error = error[:2000]
    order.save(update_fields=["status", "broker_order_id", "error", "updated_at"])


@dataclass
class ExecutionReport:
    """What driving a list of orders did."""

    orders: int = 0
    filled: int = 0  # orders with at least one fill in this call
    already_final: int = 0
    dry_run: int = 0
    trades: list = field(default_factory=list)
    stopped: str = ""  # why the remaining orders were not sent (engine stopped, abort, error)
    errors: list[str] = field(default_factory=list)


Guard = Callable[[], str | None]


def orders_execute(
    orders: Sequence[Order],
    *,
    executor: Executor,
    context: TradeContext,
    as_of: datetime,
    guard: Guard | None = None,
) -> ExecutionReport:
    """Drive ``orders`` (in plan order: sells first) through ``executor`` (see the module docstring).

    ``guard()`` is asked before each order; a non-empty answer (e.g. "engine is stopped") leaves the remaining
    orders unsent (still ``pending``) and is reported in ``stopped``. An outcome with ``abort_remaining``
    cancels the orders not sent yet. An executor error, or an outcome with status ``unknown``, leaves the order
    ``unknown`` and stops the rest (left ``pending``: the next run asks the broker about the unknown one first).
    """
    report = ExecutionReport(orders=len(orders))
    for index, order in enumerate(orders):
        if order.status in FINAL_ORDER_STATUSES:
            report.already_final += 1
            continue
        stop = guard() if guard else None
        if stop:
            report.stopped = stop
            break
        try:
            outcome = _drive(order, executor, context, as_of, report)
        except Exception as exc:
            logger.exception("order %s failed", order.client_order_id)
            order_finish(order, status=OrderStatus.UNKNOWN, error=f"{type(exc).__name__}: {exc}")
            report.errors.append(f"{order.client_order_id}: {type(exc).__name__}: {exc}")
            report.stopped = f"order {order.client_order_id} failed; the remaining orders were not sent"
            break
        if outcome.error and outcome.status not in (OrderStatus.FILLED, OrderStatus.DRY_RUN):
            report.errors.append(f"{order.client_order_id}: {outcome.error}")
        if outcome.abort_remaining:
            reason = outcome.error or "aborted by the executor"
            report.stopped = f"remaining orders cancelled after {order.client_order_id}: {reason}"
            _cancel_rest(orders[index + 1 :], reason)
            break
        if outcome.status == OrderStatus.UNKNOWN:
            detail = outcome.error or "no detail"
            report.stopped = f"the outcome of {order.client_order_id} is not known ({detail}); the rest was not sent"
            break
    return report


def _ticket(order: Order, as_of: datetime, cash: Decimal) -> OrderTicket:
    return OrderTicket(
        client_order_id=order.client_order_id,
        strategy_id=order.strategy_id,
        mode=order.mode,
        symbol=order.symbol,
        side=order.side,
        qty=int(order.requested_qty - order.filled_qty),
        ref_price=order.ref_price,
        trading_date=order.trading_date,
        as_of=as_of,
        cash=cash,
        broker_order_id=order.broker_order_id,
        submitted_at=order.submitted_at,
        filled_qty=int(order.filled_qty),
    )


def _cash(order: Order) -> Decimal:
    return TradingAccount.objects.values_list("cash", flat=True).get(strategy_id=order.strategy_id, mode=order.mode)


def _drive(order: Order, executor: Executor, context: TradeContext, as_of: datetime, report) -> OrderOutcome:
    if not executor.sends_orders:
        order_finish(order, status=OrderStatus.DRY_RUN)
        report.dry_run += 1
        return OrderOutcome(OrderStatus.DRY_RUN)
    outcome = None
    if order.submitted_at is not None:  # may have reached the broker before a crash: ask first
        outcome = executor.lookup(_ticket(order, as_of, _cash(order)))
        if outcome is not None:
            outcome = _only_new_fills(order, outcome)
    if outcome is None:
        cash = _cash(order)
        qty = None
        if order.side == Side.BUY:
            limit = executor.buy_qty_limit(cash=cash, ref_price=order.ref_price)
            if limit is not None and limit < order.requested_qty - order.filled_qty:
                if limit <= 0 and order.filled_qty == 0:
                    order_finish(order, status=OrderStatus.CANCELLED, error="not enough cash for one share")
                    return OrderOutcome(OrderStatus.CANCELLED, error="not enough cash for one share")
                qty = order.filled_qty + max(limit, 0)
        order_mark_sent(order, qty=qty)
        outcome = executor.send(_ticket(order, as_of, cash))
    booked = 0
    for fill in outcome.fills:
        trade = ledger_record_fill(
            order_id=order.pk, fill=fill, context=context, broker_order_id=outcome.broker_order_id
        )
        report.trades.append(trade)
        booked += 1
    if booked:
        report.filled += 1
    order_finish(order, status=outcome.status, broker_order_id=outcome.broker_order_id, error=outcome.error)
    return outcome


def _only_new_fills(order: Order, outcome: OrderOutcome) -> OrderOutcome:
    """A lookup reports the broker's cumulative fills: keep only the quantity not booked yet (as one fill at
    the average price of the new part)."""
    total = sum(f.qty for f in outcome.fills)
    new_qty = total - int(order.filled_qty)
    if new_qty <= 0 or not outcome.fills:
        outcome.fills = []
        return outcome
    last = outcome.fills[-1]
    value = sum(f.qty * f.price for f in outcome.fills) - (order.avg_fill_price or 0) * order.filled_qty
    commission = sum(f.commission for f in outcome.fills)
    price = (value / new_qty).quantize(Decimal("0.000001"))
    outcome.fills = [Fill(new_qty, price, commission if order.filled_qty == 0 else Decimal(0), last.at)]
    return outcome


def _cancel_rest(orders: Sequence[Order], reason: str) -> None:
    for order in orders:
        if order.status not in FINAL_ORDER_STATUSES and order.submitted_at is None:
            order_finish(order, status=OrderStatus.CANCELLED, error=f"aborted: {reason}")
