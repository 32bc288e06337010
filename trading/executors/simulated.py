"""The executors that need no broker: ``offline_mock``, ``dry_run`` and ``paper``.

``paper`` fills exactly as the backtest does — the same fill model (:class:`strategies.engine.portfolio.Costs`):
fill price = reference × (1 ± slippage) rounded to 6 decimals, commission per share, a sell's commission
capped so cash never goes negative, buys scaled down to the whole shares the cash pays for. Its "broker" is
the ledger itself: an order without a recorded fill was never filled, so ``lookup`` answers ``None``.

``offline_mock`` fills at the reference price without costs. ``dry_run`` sends nothing (the driver records
the intended orders with status ``dry_run``).
"""

from __future__ import annotations

from decimal import Decimal

from strategies.engine.portfolio import Costs
from trading.executors.base import Executor, ExecutorFactory, Fill, OrderOutcome, OrderTicket
from trading.models import OrderStatus, Side
from trading.modes import Mode

NO_COSTS = Costs(commission_per_share=Decimal(0), commission_per_trade=Decimal(0), slippage=Decimal(0))


class SimulatedExecutor(Executor):
    """Fills every order at once and in full (buys scaled to the cash) under a cost model."""

    def __init__(self, *, costs: Costs | None = None) -> None:
        self.costs = costs if costs is not None else Costs()

    def buy_qty_limit(self, *, cash: Decimal, ref_price: Decimal) -> int | None:
        return self.costs.affordable(cash, self.costs.fill_price(ref_price, "buy"))

    def send(self, ticket: OrderTicket) -> OrderOutcome:
        side = "buy" if ticket.side == Side.BUY else "sell"
        price = self.costs.fill_price(ticket.ref_price, side)
        qty = ticket.qty
        if side == "buy":
            qty = min(qty, self.costs.affordable(ticket.cash, price))
            if qty <= 0:
                return OrderOutcome(OrderStatus.CANCELLED, error="not enough cash for one share")
            commission = self.costs.commission(qty)
        else:
            commission = self.costs.sell_commission(qty, price, ticket.cash)
        status = OrderStatus.FILLED if qty == ticket.qty else OrderStatus.PARTIALLY_FILLED
        return OrderOutcome(status, [Fill(qty, price, commission, ticket.as_of)], broker_order_id="")


class PaperExecutor(SimulatedExecutor):
    """``paper``: simulated fills with the strategy's slippage and commission (the backtest's fill model)."""

    mode = Mode.PAPER


class OfflineMockExecutor(SimulatedExecutor):
    """``offline_mock``: fills at the signal (reference) price, no slippage, no commission."""

    mode = Mode.OFFLINE_MOCK

    def __init__(self, *, costs: Costs | None = None) -> None:
        super().__init__(costs=NO_COSTS)


class DryRunExecutor(Executor):
    """``dry_run``: signals and intended orders only; nothing is sent or filled."""

    mode = Mode.DRY_RUN
    sends_orders = False

    def __init__(self, *, costs: Costs | None = None) -> None:
        self.costs = costs

    def send(self, ticket: OrderTicket) -> OrderOutcome:
        return OrderOutcome(OrderStatus.DRY_RUN)


_BUILTIN: dict[str, ExecutorFactory] = {
    Mode.PAPER: PaperExecutor,
    Mode.OFFLINE_MOCK: OfflineMockExecutor,
    Mode.DRY_RUN: DryRunExecutor,
}


def builtin_factory(mode: str) -> ExecutorFactory | None:
    """The built-in executor class of ``mode`` (none for ``online_live``)."""
    return _BUILTIN.get(mode)
