"""Round trips: the fills of a run grouped into positions, from opening to closing (pure, no I/O).

The backtest stores its closed trades as FIFO lots, so a rebalance that trims one share of a position
closes a one-share "trade". A reader thinks in round trips instead: a position in one symbol opened
from flat and held — through any adds and trims — until it is flat again. For each round trip:

* ``entry_date`` / ``exit_date``: the first fill and the fill that made the position flat
  (``exit_date`` is ``None`` while it is still open at the end of the run);
* ``qty``: the largest absolute position held (shares); ``fills``: how many fills it took;
* ``entry_price`` / ``exit_price``: volume-weighted average prices of the opening-side and the
  closing-side fills (buys and sells for a long position);
* ``pnl``: closing-side proceeds − opening-side cost − all commissions (realised, after costs);
  ``ret`` = ``pnl`` / opening-side cost (fraction). Open round trips carry no P&L.

A fill that crosses zero (long 10 → short 5) closes the round trip at that fill and opens a new one
with the remainder at the same price, splitting its commission by quantity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)


@dataclass(frozen=True)
class RoundTrip:
    """One position from flat to flat (see the module docstring for each field's meaning)."""

    symbol: str
    direction: str  # "long" or "short"
    entry_date: str
    exit_date: str | None
    qty: int
    fills: int
    entry_price: Decimal
    exit_price: Decimal | None
    commission: Decimal
    pnl: Decimal | None
    ret: float | None

    @property
    def is_open(self) -> bool:
        return self.exit_date is None


class _Open:
    """The round trip being built for one symbol."""

    def __init__(self, symbol: str, date: str, sign: int) -> None:
        self.symbol, self.entry_date, self.sign = symbol, date, sign
        self.position = 0
        self.max_qty = 0
        self.fills = 0
        self.open_qty = self.open_value = ZERO
        self.close_qty = self.close_value = ZERO
        self.commission = ZERO

    def add(self, qty: int, price: Decimal, commission: Decimal) -> None:
        """Apply a signed fill of ``qty`` shares (positive buys) that does not cross zero."""
        self.fills += 1
        self.commission += commission
        if qty * self.sign > 0:
            self.open_qty += abs(qty)
            self.open_value += abs(qty) * price
        else:
            self.close_qty += abs(qty)
            self.close_value += abs(qty) * price
        self.position += qty
        self.max_qty = max(self.max_qty, abs(self.position))

    def finish(self, exit_date: str | None) -> RoundTrip:
        entry_price = self.open_value / self.open_qty if self.open_qty else ZERO
        exit_price = self.close_value / self.close_qty if self.close_qty else None
        pnl = ret = None
        if exit_date is not None:
            pnl = (self.close_value - self.open_value) * self.sign - self.commission
            ret = float(pnl / self.open_value) if self.open_value else None
        return RoundTrip(
            symbol=self.symbol,
            direction="long" if self.sign > 0 else "short",
            entry_date=self.entry_date,
            exit_date=exit_date,
            qty=self.max_qty,
            fills=self.fills,
            entry_price=entry_price,
            exit_price=exit_price,
            commission=self.commission,
            pnl=pnl,
            ret=ret,
        )


def round_trips(fills: Iterable[Mapping[str, Any]]) -> list[RoundTrip]:
    """Group fills (``date``, ``symbol``, ``side`` buy/sell, ``qty`` shares, ``price``, ``commission``),
    in execution order, into round trips ordered by entry date (open ones last among equals)."""
    open_trips: dict[str, _Open] = {}
    done: list[RoundTrip] = []
    for fill in fills:
        symbol, date = str(fill["symbol"]), str(fill["date"])
        qty = int(fill["qty"]) * (1 if str(fill["side"]).lower() == "buy" else -1)
        price, commission = Decimal(str(fill["price"])), Decimal(str(fill.get("commission") or 0))
        while qty:
            trip = open_trips.get(symbol)
            if trip is None:
                trip = open_trips[symbol] = _Open(symbol, date, 1 if qty > 0 else -1)
            closing_room = -trip.position if trip.position and (qty > 0) != (trip.position > 0) else None
            if closing_room is not None and abs(qty) > abs(closing_room):
                share = commission * Decimal(abs(closing_room)) / Decimal(abs(qty))
                trip.add(closing_room, price, share)
                qty, commission = qty - closing_room, commission - share
            else:
                trip.add(qty, price, commission)
                qty = 0
            if trip.position == 0:
                done.append(trip.finish(date))
                del open_trips[symbol]
    done.extend(trip.finish(None) for trip in open_trips.values())
    return sorted(done, key=lambda trip: (trip.entry_date, trip.is_open, trip.symbol))
