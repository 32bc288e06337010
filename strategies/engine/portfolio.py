"""Portfolio simulator: Decimal cash, whole-share long positions, costs, fills and FIFO round trips.

Money conventions (all amounts are ``Decimal`` with at most 6 decimal places, so they fit
``NUMERIC(18, 6)`` exactly):

* fill price = reference price × (1 + slippage) for buys, × (1 − slippage) for sells (adverse),
  rounded to 6 decimals; slippage cost = qty × |fill price − reference price|;
* commission = commission_per_share × qty + commission_per_trade (per fill);
* a buy costs qty × fill price + commission; a sell brings qty × fill price − commission;
* cash never goes negative: a buy larger than the cash allows is scaled down to the largest whole
  number of shares that fits (possibly 0), and a sell's commission is capped at what it brings in;
* closed trades pair sells with the oldest open buys (FIFO); each side's commission is split over the
  matched lots pro rata by quantity; pnl = qty × (exit − entry) − both commission shares,
  ret = pnl / (qty × entry price).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

MONEY_QUANTUM = Decimal("0.000001")
ZERO = Decimal(0)


def to_money(value: Any) -> Decimal:
    """A Decimal with 6 decimal places from a Decimal, int, str or float (floats via their 6-dp text)."""
    if isinstance(value, Decimal):
        return value.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite amount: {value!r}")
        return Decimal(f"{value:.6f}")
    return Decimal(value).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Costs:
    """Trading costs — commission per share and per fill (currency), slippage (fraction of price) — and the
    fill model built on them (the backtest's portfolio and the paper executor both fill through it)."""

    commission_per_share: Decimal = Decimal("0.01")
    commission_per_trade: Decimal = ZERO
    slippage: Decimal = Decimal("0.001")

    def fill_price(self, ref_price: Decimal, side: str) -> Decimal:
        """Reference price moved against the trader by the slippage fraction (``side`` "buy"/"sell"), 6 dp."""
        factor = 1 + self.slippage if side == "buy" else 1 - self.slippage
        return (ref_price * factor).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)

    def commission(self, qty: int) -> Decimal:
        """Commission for one fill of ``qty`` shares."""
        return to_money(self.commission_per_share * qty + self.commission_per_trade)

    def sell_commission(self, qty: int, fill_price: Decimal, cash: Decimal) -> Decimal:
        """Commission of a sell, capped at what the sale brings in plus the cash (cash never goes negative)."""
        return min(self.commission(qty), cash + qty * fill_price)

    def affordable(self, cash: Decimal, fill_price: Decimal) -> int:
        """Largest whole number of shares whose cost incl. commission fits in ``cash``."""
        room = cash - self.commission_per_trade
        unit = fill_price + self.commission_per_share
        if room <= 0 or unit <= 0:
            return 0
        return int(room // unit)


class _Lot:
    __slots__ = ("commission", "date", "price", "qty")

    def __init__(self, qty: int, price: Decimal, date: dt.date, commission: Decimal) -> None:
        self.qty = qty
        self.price = price
        self.date = date
        self.commission = commission  # entry commission not yet attributed to a closed trade


class Portfolio:
    """Cash plus whole-share long positions; records every fill and closed round trip."""

    def __init__(self, cash: Decimal, costs: Costs | None = None) -> None:
        self.cash = to_money(cash)
        if self.cash < 0:
            raise ValueError("initial cash must not be negative")
        self.costs = costs or Costs()
        self.qty: dict[str, int] = {}
        self._lots: dict[str, deque[_Lot]] = {}
        self.fills: list[dict[str, Any]] = []
        self.trades: list[dict[str, Any]] = []
        self.scaled_buys: list[tuple[dt.date, str, int, int]] = []  # (date, symbol, wanted, bought)

    @classmethod
    def holding(
        cls,
        cash: Decimal,
        quantities: Mapping[str, int],
        costs: Costs | None = None,
        *,
        since: dt.date,
        cost_basis: Mapping[str, Decimal] | None = None,
    ) -> Portfolio:
        """A portfolio that already holds ``quantities`` (one open lot per symbol, entered ``since`` at its
        ``cost_basis`` per share, 0 when unknown) — an outside account to size orders against."""
        portfolio = cls(cash, costs)
        for symbol, qty in quantities.items():
            qty = int(qty)
            if qty < 0:
                raise ValueError(f"{symbol}: negative holding {qty} (long only)")
            if qty:
                portfolio.qty[symbol] = qty
                price = to_money((cost_basis or {}).get(symbol, ZERO))
                portfolio._lots[symbol] = deque([_Lot(qty, price, since, ZERO)])
        return portfolio

    # ------------------------------------------------------------------ arithmetic
    def commission(self, qty: int) -> Decimal:
        """Commission for one fill of ``qty`` shares."""
        return self.costs.commission(qty)

    def fill_price(self, ref_price: Decimal, side: str) -> Decimal:
        """Reference price moved against the trader by the slippage fraction, 6 decimals."""
        return self.costs.fill_price(ref_price, side)

    def affordable(self, fill_price: Decimal) -> int:
        """Largest whole number of shares whose cost incl. commission fits in the cash."""
        return self.costs.affordable(self.cash, fill_price)

    def market_value(self, prices: Mapping[str, Decimal]) -> Decimal:
        """Σ qty × price over open positions (``prices`` must cover every held symbol)."""
        total = ZERO
        for symbol, qty in self.qty.items():
            total += qty * prices[symbol]
        return total

    # ------------------------------------------------------------------ orders
    def sell(self, date: dt.date, symbol: str, qty: int, ref_price: Decimal) -> int:
        """Sell ``qty`` shares (capped at the holding); returns the quantity sold."""
        qty = min(int(qty), self.qty.get(symbol, 0))
        if qty <= 0:
            return 0
        price = self.fill_price(ref_price, "sell")
        gross = qty * price
        commission = self.costs.sell_commission(qty, price, self.cash)
        self.cash += gross - commission
        self._set_qty(symbol, self.qty[symbol] - qty)
        self._record_fill(date, symbol, "sell", qty, price, ref_price, commission)
        self._close_lots(date, symbol, qty, price, commission)
        return qty

    def buy(self, date: dt.date, symbol: str, qty: int, ref_price: Decimal) -> int:
        """Buy up to ``qty`` shares, scaled down to the available cash; returns the quantity bought."""
        qty = int(qty)
        if qty <= 0:
            return 0
        price = self.fill_price(ref_price, "buy")
        fit = self.affordable(price)
        if qty > fit:
            self.scaled_buys.append((date, symbol, qty, fit))
            qty = fit
            if qty <= 0:
                return 0
        commission = self.commission(qty)
        self.cash -= qty * price + commission
        self._set_qty(symbol, self.qty.get(symbol, 0) + qty)
        self._lots.setdefault(symbol, deque()).append(_Lot(qty, price, date, commission))
        self._record_fill(date, symbol, "buy", qty, price, ref_price, commission)
        return qty

    def rebalance(self, date: dt.date, target_qty: Mapping[str, int], ref_prices: Mapping[str, Decimal]) -> None:
        """Move to ``target_qty`` shares: every sell first (frees cash; in symbol order, so two portfolios with
        the same holdings sell alike whatever order they bought in), then buys in mapping order."""
        buys: list[tuple[str, int]] = []
        sells: list[tuple[str, int]] = []
        for symbol, target in target_qty.items():
            delta = int(target) - self.qty.get(symbol, 0)
            if delta < 0:
                sells.append((symbol, -delta))
            elif delta > 0:
                buys.append((symbol, delta))
        for symbol, qty in sorted(sells):
            self.sell(date, symbol, qty, ref_prices[symbol])
        for symbol, delta in buys:
            self.buy(date, symbol, delta, ref_prices[symbol])

    # ------------------------------------------------------------------ bookkeeping
    def _set_qty(self, symbol: str, qty: int) -> None:
        if qty:
            self.qty[symbol] = qty
        else:
            self.qty.pop(symbol, None)

    def _record_fill(self, date, symbol, side, qty, price, ref_price, commission) -> None:
        self.fills.append(
            {
                "date": date,
                "symbol": symbol,
                "side": side,
                "qty": qty,
                "price": price,
                "commission": commission,
                "slippage_cost": qty * abs(price - ref_price),
                "value": qty * price,
            }
        )

    def _close_lots(self, date: dt.date, symbol: str, qty: int, price: Decimal, commission: Decimal) -> None:
        lots = self._lots[symbol]
        remaining, exit_commission = qty, commission
        while remaining:
            lot = lots[0]
            take = min(lot.qty, remaining)
            entry_part = lot.commission if take == lot.qty else to_money(lot.commission * take / lot.qty)
            exit_part = exit_commission if take == remaining else to_money(exit_commission * take / remaining)
            lot.commission -= entry_part
            exit_commission -= exit_part
            pnl = take * (price - lot.price) - entry_part - exit_part
            self.trades.append(
                {
                    "symbol": symbol,
                    "entry_date": lot.date,
                    "exit_date": date,
                    "qty": take,
                    "entry_price": lot.price,
                    "exit_price": price,
                    "commission": entry_part + exit_part,
                    "pnl": pnl,
                    "ret": float(pnl / (take * lot.price)) if lot.price else 0.0,
                    "holding_days": (date - lot.date).days,
                }
            )
            lot.qty -= take
            remaining -= take
            if not lot.qty:
                lots.popleft()

    def open_lots(self) -> Iterable[dict[str, Any]]:
        """Open (unmatched) buy lots, oldest first per symbol."""
        for symbol, lots in self._lots.items():
            for lot in lots:
                yield {"symbol": symbol, "entry_date": lot.date, "qty": lot.qty, "entry_price": lot.price}
