"""``online_live``: real orders at Charles Schwab (market orders, whole shares) through :class:`SchwabBroker`.

``send`` places the order, then waits for its fill: the order is polled every ``poll_seconds`` until Schwab
reports a final status or ``trading.fill_timeout_seconds`` (30 s) pass; then the rest is cancelled and the
order read once more, so what filled meanwhile is booked (``partially_filled``). An order whose cancel is not
confirmed is reported ``unknown`` with what filled so far: the driver stops the day's remaining orders and
the next run looks it up. The clock and the sleep are injectable, so tests never wait.

Slippage is the adverse move of the average fill price from the ticket's reference price (buys: above it,
sells: below it), in percent. At ``trading.slippage_warn_pct`` (0.3 %) a warning, at
``trading.slippage_max_pct`` (0.5 %) a stronger one (both logged and notified); at
``trading.slippage_abort_pct`` (1.0 %) the outcome carries ``abort_remaining``: the fill is booked and the
day's remaining orders are cancelled, never sent.

``lookup`` (a re-run after a crash) asks Schwab before anything is re-sent: by the stored broker order id, or
else among the day's orders for one with the ticket's symbol, side and quantity entered after the order was
committed as sent (minus ``ENTRY_SKEW`` for clock differences). Found → its outcome (waiting for the fill as
``send`` does); not found → ``None``, and the driver sends it.

Buys are capped by ``buy_qty_limit`` at what both the strategy's ledger cash and the account's real buying
power (``SchwabBroker.account``: cash available, never margin) pay for, priced like the paper fill model.
Schwab charges no commission on online equity trades; fills carry commission 0 (regulatory fees on sells
appear only in Schwab's transaction history).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils import timezone

from trading.broker.errors import BrokerError, BrokerNotConnected, OrderRejected
from trading.broker.schwab import BrokerOrder, SchwabBroker
from trading.executors.base import Executor, Fill, OrderOutcome, OrderTicket
from trading.models import OrderStatus, Side
from trading.modes import Mode

logger = logging.getLogger(__name__)

SIX_PLACES = Decimal("0.000001")
#: Our clock and Schwab's may differ: an order entered this long before ``submitted_at`` still matches.
ENTRY_SKEW = timedelta(seconds=60)
#: After a cancel request, how long to wait for Schwab to confirm a final status.
CANCEL_WAIT_SECONDS = 5.0
FINAL_STATUS = {"FILLED": OrderStatus.FILLED, "REJECTED": OrderStatus.REJECTED, "EXPIRED": OrderStatus.EXPIRED}


def slippage_pct(side: str, ref_price: Decimal, fill_price: Decimal) -> float:
    """Adverse slippage in percent: a buy above / a sell below the reference price is positive."""
    adverse = fill_price - ref_price if side == Side.BUY else ref_price - fill_price
    return float(adverse / ref_price * 100)


class SchwabExecutor(Executor):
    """Places the ``online_live`` orders at Schwab (see the module docstring)."""

    mode = Mode.ONLINE_LIVE

    def __init__(
        self,
        *,
        broker: SchwabBroker,
        costs=None,
        fill_timeout_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        warn_pct: float = 0.3,
        max_pct: float = 0.5,
        abort_pct: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = timezone.now,
    ) -> None:
        self.broker = broker
        self.costs = costs
        self.fill_timeout_seconds = fill_timeout_seconds
        self.poll_seconds = poll_seconds
        self.warn_pct, self.max_pct, self.abort_pct = warn_pct, max_pct, abort_pct
        self._clock, self._sleep, self._now = clock, sleep, now

    # ── sizing ─────────────────────────────────────────────────────────────────────────────────────

    def buy_qty_limit(self, *, cash: Decimal, ref_price: Decimal) -> int | None:
        """Whole shares that both the ledger ``cash`` and the account's buying power pay for."""
        price = self.costs.fill_price(ref_price, "buy") if self.costs is not None else ref_price
        by_ledger = self.costs.affordable(cash, price) if self.costs is not None else int(cash // price)
        by_account = int(self.broker.account().buying_power // price)
        return max(min(by_ledger, by_account), 0)

    # ── placing ────────────────────────────────────────────────────────────────────────────────────

    def send(self, ticket: OrderTicket) -> OrderOutcome:
        try:
            order_id = self.broker.place_market_order(ticket.symbol, ticket.side, ticket.qty)
        except OrderRejected as exc:
            return OrderOutcome(OrderStatus.REJECTED, error=str(exc))
        if order_id is None:  # accepted, but Schwab named no order: find it as a re-run would
            order_id = self._find(ticket, since=ticket.submitted_at or self._now())
            if order_id is None:
                return OrderOutcome(
                    OrderStatus.UNKNOWN, error="Schwab accepted the order without an order id; it is looked up next run"
                )
        return self._await(order_id, ticket)

    def lookup(self, ticket: OrderTicket) -> OrderOutcome | None:
        if ticket.submitted_at is None:
            return None
        order_id = ticket.broker_order_id or self._find(ticket, since=ticket.submitted_at)
        if not order_id:
            return None
        return self._await(order_id, ticket)

    def _find(self, ticket: OrderTicket, *, since: datetime) -> str | None:
        """The day's Schwab order that is this ticket's: same symbol, side and quantity, entered after ``since``."""
        qty = Decimal(ticket.qty + ticket.filled_qty)
        start = since - ENTRY_SKEW
        for order in self.broker.orders(start, self._now()):
            if (order.symbol, order.side, order.qty) == (ticket.symbol, ticket.side, qty) and (
                order.entered_at is None or order.entered_at >= start
            ):
                logger.info("Schwab order %s matched %s", order.order_id, ticket.client_order_id)
                return order.order_id
        return None

    # ── waiting for the fill ───────────────────────────────────────────────────────────────────────

    def _await(self, order_id: str, ticket: OrderTicket) -> OrderOutcome:
        deadline = self._clock() + self.fill_timeout_seconds
        order = self._poll(order_id, ticket, deadline)
        if isinstance(order, OrderOutcome):
            return order
        if order is not None and order.final:
            return self._outcome(order, ticket)
        timed_out = f"not filled within {self.fill_timeout_seconds:g} s"
        try:
            self.broker.cancel(order_id)
        except BrokerError as exc:
            note = f"{timed_out} and the cancel failed ({exc})"
            return self._outcome(order, ticket, status=OrderStatus.UNKNOWN, note=note, order_id=order_id)
        confirmed = self._poll(order_id, ticket, self._clock() + CANCEL_WAIT_SECONDS)
        if isinstance(confirmed, OrderOutcome):
            return confirmed
        last = confirmed or order
        if last is not None and last.final:
            return self._outcome(last, ticket, note=f"{timed_out}; the rest was cancelled")
        note = f"{timed_out} and the cancel is not confirmed"
        return self._outcome(last, ticket, status=OrderStatus.UNKNOWN, note=note, order_id=order_id)

    def _poll(self, order_id: str, ticket: OrderTicket, deadline: float) -> BrokerOrder | OrderOutcome | None:
        """Read the order until it is final or ``deadline`` passes; the last answer. A lost login is an
        ``unknown`` outcome (the order id is kept for the next run)."""
        order: BrokerOrder | None = None
        while True:
            try:
                order = self.broker.order(order_id)
            except BrokerNotConnected as exc:
                return self._outcome(order, ticket, status=OrderStatus.UNKNOWN, note=str(exc), order_id=order_id)
            except BrokerError as exc:
                logger.warning("reading Schwab order %s failed (will retry): %s", order_id, exc)
            if (order is not None and order.final) or self._clock() >= deadline:
                return order
            self._sleep(self.poll_seconds)

    def _outcome(
        self,
        order: BrokerOrder | None,
        ticket: OrderTicket,
        *,
        status: str | None = None,
        note: str = "",
        order_id: str = "",
    ) -> OrderOutcome:
        """The order's cumulative fills and final status, with the slippage check."""
        fills = [_fill(e.qty, e.price, e.at) for e in order.executions] if order is not None else []
        filled = sum(f.qty for f in fills)
        if status is None and order.filled_qty > filled:  # Schwab counts fills it has not itemised yet
            status = OrderStatus.UNKNOWN
            note = f"Schwab reports {order.filled_qty:f} filled but itemises {filled}; looked up next run"
        if status is None:
            status = FINAL_STATUS.get(order.status, OrderStatus.CANCELLED)
            if status != OrderStatus.FILLED and filled:
                status = OrderStatus.PARTIALLY_FILLED
        outcome = OrderOutcome(status, fills, broker_order_id=order.order_id if order else order_id, error=note)
        if fills:
            self._check_slippage(outcome, ticket)
        return outcome

    def _check_slippage(self, outcome: OrderOutcome, ticket: OrderTicket) -> None:
        from trading.notify import notify_slippage

        value = sum(f.qty * f.price for f in outcome.fills)
        average = (value / outcome.filled_qty).quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)
        slipped = slippage_pct(ticket.side, ticket.ref_price, average)
        if slipped < self.warn_pct:
            return
        if slipped >= self.abort_pct:
            level, limit = "abort", self.abort_pct
            outcome.abort_remaining = True
            message = (
                f"slippage {slipped:.2f}% on {ticket.symbol} reached the {limit:.1f}% abort level: "
                "the remaining orders of the day are not sent"
            )
        else:
            level, limit = ("high", self.max_pct) if slipped >= self.max_pct else ("warning", self.warn_pct)
            message = f"slippage {slipped:.2f}% on {ticket.symbol} is above the {limit:.1f}% {level} level"
        logger.log(logging.ERROR if level != "warning" else logging.WARNING, "%s: %s", ticket.client_order_id, message)
        outcome.error = f"{outcome.error}; {message}" if outcome.error else message
        notify_slippage(ticket=ticket, fill_price=average, slippage_pct=slipped, level=level, limit_pct=limit)


def _fill(qty: Decimal, price: Decimal, at: datetime) -> Fill:
    if qty != qty.to_integral_value():
        raise BrokerError(f"Schwab reported a fractional execution of {qty} shares", permanent=True)
    return Fill(int(qty), price.quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN), Decimal(0), at)


def schwab_executor(*, costs=None) -> SchwabExecutor:
    """The ``online_live`` executor on the stored Schwab login, with the configured timeout and slippage levels."""
    from jutsu.conf.resolver import resolve_value
    from trading.broker.connection import schwab_broker

    return SchwabExecutor(
        broker=schwab_broker(),
        costs=costs,
        fill_timeout_seconds=resolve_value("trading.fill_timeout_seconds"),
        warn_pct=resolve_value("trading.slippage_warn_pct"),
        max_pct=resolve_value("trading.slippage_max_pct"),
        abort_pct=resolve_value("trading.slippage_abort_pct"),
    )
