"""The executor interface: one implementation per trading mode, all driven the same way.

The driver (``trading.services.execution``) records each order as an ``Order`` row and commits it **before**
calling the executor, re-checks that the engine is running, and books every :class:`Fill` the executor
reports through the ledger (one transaction per fill). An executor therefore only talks to its broker (or
simulates one): it never writes to the database, and it is never called inside a transaction.

* :meth:`Executor.send` places one order and reports what happened: fills (possibly partial), the final or
  pending status, the broker's order id, an error, and ``abort_remaining`` when the rest of the day's orders
  must not be sent (the live slippage abort).
* :meth:`Executor.lookup` is asked instead of ``send`` for an order that may already have reached the broker
  (a re-run after a crash): it returns the broker's cumulative outcome, or ``None`` when the broker never saw
  the order — only then is it sent.
* :meth:`Executor.buy_qty_limit` caps a buy at what the cash pays for (sells run first and free cash).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from jutsu.errors import InvalidParameter, JutsuError
from trading.modes import Mode


class ExecutionError(JutsuError):
    """An order could not be executed (the message says why); ``permanent`` when retrying cannot help."""

    code = "execution_error"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class OrderTicket:
    """What an executor needs to place one order (a plain copy of the committed ``Order`` row).

    ``side`` is ``"BUY"`` or ``"SELL"``; ``qty`` whole shares still to fill; ``ref_price`` the reference price
    the order was sized at; ``as_of`` the moment of the run (simulated fills happen then); ``cash`` the
    account's cash when the ticket was written (simulated executors scale buys and cap commissions with it).
    For :meth:`Executor.lookup`: ``broker_order_id`` (when known), ``submitted_at`` (when the order was
    committed as sent — the broker's entry time is later) and ``filled_qty`` (already booked; the order sent
    was ``qty + filled_qty`` shares).
    """

    client_order_id: str
    strategy_id: str
    mode: str
    symbol: str
    side: str
    qty: int
    ref_price: Decimal
    trading_date: date
    as_of: datetime
    cash: Decimal
    broker_order_id: str = ""
    submitted_at: datetime | None = None
    filled_qty: int = 0


@dataclass(frozen=True)
class Fill:
    """One execution: ``qty`` shares at ``price`` with ``commission`` at the aware instant ``at``."""

    qty: int
    price: Decimal
    commission: Decimal
    at: datetime


@dataclass
class OrderOutcome:
    """What happened to an order. ``status`` is an ``OrderStatus`` value; ``fills`` are *new* executions
    (from ``send``) or the cumulative ones (from ``lookup``)."""

    status: str
    fills: list[Fill] = field(default_factory=list)
    broker_order_id: str = ""
    error: str = ""
    abort_remaining: bool = False

    @property
    def filled_qty(self) -> int:
        return sum(f.qty for f in self.fills)


class Executor(ABC):
    """Places orders for one mode (see the module docstring)."""

    mode: ClassVar[str] = ""
    #: False for ``dry_run``: orders are recorded as intended (status ``dry_run``) and never sent.
    sends_orders: ClassVar[bool] = True

    def buy_qty_limit(self, *, cash: Decimal, ref_price: Decimal) -> int | None:
        """The most shares a buy at ``ref_price`` may ask for with ``cash``; ``None`` when unknown."""
        return None

    @abstractmethod
    def send(self, ticket: OrderTicket) -> OrderOutcome:
        """Place the order and report its outcome (see :class:`OrderOutcome`)."""

    def lookup(self, ticket: OrderTicket) -> OrderOutcome | None:
        """The broker's outcome of an order that may have been sent before, or ``None`` if it never arrived."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.mode}>"


ExecutorFactory = Callable[..., Executor]
_factories: dict[str, ExecutorFactory] = {}


def executor_register(mode: str, factory: ExecutorFactory | None) -> None:
    """Use ``factory(costs=…)`` to build the executor of ``mode`` (``None`` restores the built-in one)."""
    if mode not in Mode.values:
        raise InvalidParameter(f"unknown mode {mode!r}; use one of {', '.join(Mode.values)}")
    if factory is None:
        _factories.pop(mode, None)
    else:
        _factories[mode] = factory


def executor_for(mode: str, *, costs=None) -> Executor:
    """The executor of ``mode``. ``costs`` (``strategies.engine.portfolio.Costs``) is the strategy's cost model,
    used by the simulated modes; a broker ignores it."""
    from trading.executors.simulated import builtin_factory

    factory = _factories.get(mode) or builtin_factory(mode)
    if factory is None:
        raise InvalidParameter(
            f"no executor is available for mode {mode!r}"
            + (" (the Schwab executor is not installed)" if mode == Mode.ONLINE_LIVE else "")
        )
    return factory(costs=costs)
