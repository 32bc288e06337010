"""Backtest event loop: one strategy over aligned daily bars, with a buy-and-hold baseline.

Conventions (fixed, so runs are comparable and replayable):

* The calendar is the union of the dates of the strategy's symbols (and the baseline symbol), cut at
  ``config.end``. Bars are processed in date order; at each date the strategy sees every symbol's bars
  up to and including that date, nothing later (:class:`~strategies.engine.feed.Bar`).
* Bars before ``config.start`` are warm-up: they feed indicators and the strategy's state but cannot
  trade. Trading also waits until the strategy's primary symbol has ``warmup_bars`` bars. A symbol
  can only trade on dates it has a bar (not before its first bar, not after its last).
* ``fill="close"``: targets decided on a bar fill at that bar's close. ``fill="next_open"``: they fill
  at the next bar's open (a decision on the final bar is never filled). Target shares =
  floor(equity × weight / reference price), equity marked at the reference prices; sells go first,
  then buys (scaled down to the cash, see :mod:`~strategies.engine.portfolio`).
* Equity snapshot: one row per date from the start on, taken after that date's fills and marked to
  each held symbol's latest close (its own last bar when it has none that day).
* Baseline: buy-and-hold of ``config.baseline_symbol`` bought with the whole initial capital at the
  first date it can trade on or after start, with the same costs and fill convention.

The engine reads no clock, settings or files: same inputs → byte-identical results.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Any

import pandas as pd

from ._tally import WarningTally
from .errors import DataError, EngineError
from .feed import Bar, FeedPool, MarketFeed
from .portfolio import ZERO, Costs, Portfolio, to_money
from .results import BacktestResult
from .strategy import Order, Strategy

FILL_MODES = ("close", "next_open")


class BacktestConfigError(EngineError, ValueError):
    """A backtest setting is invalid (message names the setting)."""


def _as_date(value: Any, name: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        raise BacktestConfigError(f"{name}: not a date: {value!r}")


def _as_decimal(value: Any, name: str) -> Decimal:
    try:
        out = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except ArithmeticError:
        raise BacktestConfigError(f"{name}: not a number: {value!r}")
    if not out.is_finite() or out < 0:
        raise BacktestConfigError(f"{name}: must be a finite number ≥ 0, got {value!r}")
    return out


@dataclass(frozen=True)
class BacktestConfig:
    """Run settings. Money in currency units (Decimal; str/int/float accepted and converted)."""

    initial_capital: Decimal = Decimal("100000")
    commission_per_share: Decimal = Decimal("0.01")
    commission_per_trade: Decimal = Decimal("0")
    slippage: Decimal = Decimal("0.001")
    fill: str = "close"
    baseline_symbol: str | None = "QQQ"
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("initial_capital", "commission_per_share", "commission_per_trade", "slippage"):
            object.__setattr__(self, name, _as_decimal(getattr(self, name), name))
        if self.initial_capital <= 0:
            raise BacktestConfigError("initial_capital: must be positive")
        if self.slippage >= 1:
            raise BacktestConfigError("slippage: a fraction below 1 (0.001 = 0.1%)")
        if self.fill not in FILL_MODES:
            raise BacktestConfigError(f"fill: {self.fill!r} is not one of {', '.join(FILL_MODES)}")
        object.__setattr__(self, "start", _as_date(self.start, "start"))
        object.__setattr__(self, "end", _as_date(self.end, "end"))
        if self.start and self.end and self.start > self.end:
            raise BacktestConfigError(f"start {self.start} is after end {self.end}")

    @property
    def costs(self) -> Costs:
        return Costs(self.commission_per_share, self.commission_per_trade, self.slippage)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly copy."""
        return {
            "initial_capital": str(self.initial_capital),
            "commission_per_share": str(self.commission_per_share),
            "commission_per_trade": str(self.commission_per_trade),
            "slippage": str(self.slippage),
            "fill": self.fill,
            "baseline_symbol": self.baseline_symbol,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


@dataclass
class _Plan:
    targets: dict[str, float] | None
    orders: Sequence[Order] = ()


class _Run:
    """State of one run (kept off the public API)."""

    def __init__(self, strategy: Strategy, feed: MarketFeed, config: BacktestConfig) -> None:
        self.strategy = strategy
        self.feed = feed
        self.config = config
        self.portfolio = Portfolio(config.initial_capital, config.costs)
        self.baseline = Portfolio(config.initial_capital, config.costs)
        self.warnings = WarningTally()
        # Decimal prices are made on first use (most bars of most symbols are never booked)
        self._money: dict[str, dict[str, list[Decimal | None]]] = {
            field: {s: [None] * len(b) for s, b in feed.bars.items()} for field in ("open", "close")
        }
        self._close_floats = {s: b.lists["close"] for s, b in feed.bars.items()}
        self.i = 0

    def booked_price(self, symbol: str, field: str, k: int) -> Decimal:
        """``field`` of ``symbol``'s k-th own bar as 6-decimal money (cached)."""
        cache = self._money[field][symbol]
        value = cache[k]
        if value is None:
            value = cache[k] = to_money(self.feed.bars[symbol].lists[field][k])
        return value

    def price(self, symbol: str, field: str) -> Decimal:
        """Today's ``field`` price if the symbol has a bar today, else its last close."""
        k = self.feed.count[symbol][self.i]
        if field == "open" and not self.feed.today[symbol][self.i]:
            field = "close"
        return self.booked_price(symbol, field, k - 1)

    def weights(self, portfolio: Portfolio | None = None) -> dict[str, float]:
        """Position weights of ``portfolio`` (default: the run's) marked at the latest closes (floats: a
        decision input, not booked money)."""
        portfolio = portfolio or self.portfolio
        qty = portfolio.qty
        if not qty:
            return {}
        values = {s: q * self.feed.bars[s].lists["close"][self.feed.count[s][self.i] - 1] for s, q in qty.items()}
        equity = float(portfolio.cash) + sum(values.values())
        return {s: v / equity for s, v in values.items()} if equity > 0 else {}

    def execute(self, portfolio: Portfolio, plan: _Plan, field: str) -> None:
        """Turn target weights / percent orders into whole-share trades at today's ``field`` price: target
        shares from :meth:`target_quantities`, then the portfolio's rebalance (sells first, buys scaled down
        to the cash). The backtest and the live decision (:func:`decide`) both size through here."""
        desired, prices = self.target_quantities(portfolio, plan, field)
        portfolio.rebalance(self.feed.dates[self.i], desired, prices)

    def target_quantities(
        self, portfolio: Portfolio, plan: _Plan, field: str
    ) -> tuple[dict[str, int], dict[str, Decimal]]:
        """Whole shares wanted per symbol (floor(equity × weight / price), equity marked at today's ``field``
        prices) and the reference prices, for the symbols that can trade today."""
        date = self.feed.dates[self.i]
        today = self.feed.today
        held = portfolio.qty
        marks = {s: self.price(s, field) for s in held}
        equity = portfolio.cash + portfolio.market_value(marks)
        desired: dict[str, int] = {}
        prices: dict[str, Decimal] = {}

        def sizing(symbol: str, weight: float) -> int | None:
            present = today.get(symbol)
            if not (present and present[self.i]):
                if weight > 0 or held.get(symbol):
                    first = self.feed.first_date(symbol)
                    why = "has no data" if first is None else ("has not started yet" if first > date else "has no bar")
                    action = "its target weight stayed in cash" if weight > 0 else "its holding could not be sold"
                    self.warnings.add(f"untradable-{symbol}-{weight > 0}", f"{symbol} {why}: {action}", date)
                return None
            price = prices[symbol] = self.price(symbol, field)
            return math.floor(equity * Decimal(repr(weight)) / price)

        if plan.targets is not None:
            for symbol in held:
                if symbol not in plan.targets and (n := sizing(symbol, 0.0)) is not None:
                    desired[symbol] = n
            for symbol, weight in plan.targets.items():
                if (n := sizing(symbol, weight)) is not None:
                    desired[symbol] = n
        for order in plan.orders:
            have = desired.get(order.symbol, held.get(order.symbol, 0))
            if order.side == "sell":
                if sizing(order.symbol, 0.0) is not None:
                    desired[order.symbol] = have - math.floor(have * Decimal(repr(order.pct)))
            elif (n := sizing(order.symbol, order.pct)) is not None:
                desired[order.symbol] = max(have, n)
        return desired, prices

    def snapshot(self, portfolio: Portfolio) -> dict[str, Any]:
        """Equity row for today: cash plus positions marked at each symbol's latest close."""
        cash = portfolio.cash
        positions: dict[str, dict[str, Any]] = {}
        value_total = ZERO
        i, count, money = self.i, self.feed.count, self._money["close"]
        for symbol, qty in portfolio.qty.items():
            k = count[symbol][i] - 1
            cache = money[symbol]
            price = cache[k]
            if price is None:  # inlined booked_price: this runs for every held symbol on every bar
                price = cache[k] = Decimal(f"{self._close_floats[symbol][k]:.6f}")
            value = qty * price
            positions[symbol] = {"qty": qty, "value": value}
            value_total += value
        return {
            "date": self.feed.dates[i],
            "equity": cash + value_total,
            "cash": cash,
            "positions_value": value_total,
            "positions": positions,
        }


def _check_inputs(strategy: Strategy, data: Mapping[str, pd.DataFrame], config: BacktestConfig) -> list[str]:
    def present(symbol: str) -> bool:
        frame = data.get(symbol)
        return frame is not None and len(frame) > 0

    missing = [s for s in strategy.required_symbols if not present(s)]
    if missing:
        raise DataError(f"no market data for required symbol(s) {', '.join(missing)} of {strategy.class_id}")
    notes = [
        f"{s}: no data given (optional symbol; the strategy runs without it)"
        for s in strategy.optional_symbols
        if not present(s)
    ]
    if config.baseline_symbol and not present(config.baseline_symbol):
        notes.append(f"baseline {config.baseline_symbol}: no data given, no baseline curve")
    return notes


def run_backtest(
    strategy: Strategy,
    data: Mapping[str, pd.DataFrame],
    config: BacktestConfig | None = None,
    *,
    feeds: FeedPool | None = None,
) -> BacktestResult:
    """Run ``strategy`` over ``data`` (symbol → DataFrame indexed by date with open/high/low/close/volume).

    ``feeds`` (optional) reuses the aligned feed — and the indicator series cached on it — of earlier runs
    over the very same frames (a parameter grid); results are identical with or without it.
    """
    sim = _simulate(strategy, data, config or BacktestConfig(), feeds=feeds)
    return _result(sim)


@dataclass
class _Simulation:
    """Everything one pass of the event loop produced (the backtest result and the live decision read it)."""

    run: _Run
    strategy: Strategy
    config: BacktestConfig
    notes: list[str]
    start_i: int
    first_trade_i: int | None = None
    pending: _Plan | None = None
    equity_curve: list[dict[str, Any]] = dataclass_field(default_factory=list)
    baseline_curve: list[dict[str, Any]] = dataclass_field(default_factory=list)
    regime: list[dict[str, Any]] = dataclass_field(default_factory=list)
    # the last date, sized against an outside account (``account`` given): see ``decide``
    account: Portfolio | None = None
    last_plan: _Plan | None = None
    last_tradable: bool = False


def _simulate(
    strategy: Strategy,
    data: Mapping[str, pd.DataFrame],
    config: BacktestConfig,
    account: Portfolio | None = None,
    feeds: FeedPool | None = None,
) -> _Simulation:
    """The event loop (see the module docstring). With ``account``, the last date's decision sees the weights
    of ``account`` instead of the simulated portfolio's, and its plan is also sized and filled against it."""
    notes = _check_inputs(strategy, data, config)
    wanted = [s for s in (*strategy.symbols, config.baseline_symbol) if s and s in data and len(data[s])]
    frames = {s: data[s] for s in dict.fromkeys(wanted)}
    feed = feeds.feed(frames, config.end) if feeds is not None else MarketFeed(frames, end=config.end)
    dates = feed.dates
    start_i = bisect.bisect_left(dates, config.start) if config.start else 0
    if start_i >= len(dates):
        raise DataError(f"no bars between {config.start} and {config.end or 'the end of the data'}")
    run = _Run(strategy, feed, config)
    sim = _Simulation(run, strategy, config, notes, start_i, account=account)
    bar = Bar(feed)
    bar._weights_fn = run.weights
    primary = feed.count[strategy.primary_symbol]
    warmup = strategy.warmup_bars
    base_symbol = config.baseline_symbol if config.baseline_symbol in feed.bars else None
    next_open = config.fill == "next_open"
    field_now = "open" if next_open else "close"
    base_pending: _Plan | None = None
    base_bought = False
    last_i = len(dates) - 1

    for i in range(len(dates)):
        run.i = i
        report = i >= start_i
        outside = account is not None and i == last_i
        if sim.pending is not None:
            run.execute(run.portfolio, sim.pending, field_now)
            sim.pending = None
        if base_pending is not None:
            run.execute(run.baseline, base_pending, field_now)
            base_pending = None
        tradable = report and primary[i] >= warmup
        first = tradable and sim.first_trade_i is None
        if first:
            sim.first_trade_i = i
        bar.i, bar.date, bar.tradable, bar.first_tradable = i, dates[i], tradable, first
        if outside:
            bar._weights_fn = lambda: run.weights(account)
            sim.last_tradable = tradable
        targets = strategy.on_bar(bar)
        orders = strategy.take_orders() if strategy._orders else ()
        if tradable and (targets is not None or orders):
            plan = _Plan(None if targets is None else strategy.validate_targets(targets), orders)
            if next_open:
                sim.pending = plan
            else:
                run.execute(run.portfolio, plan, "close")
            if outside:
                sim.last_plan = plan
                run.execute(account, plan, "close")
        if not report:
            continue
        if base_symbol and not base_bought and feed.today[base_symbol][i]:
            base_bought = True
            plan = _Plan({base_symbol: 1.0})
            if next_open:
                base_pending = plan
            else:
                run.execute(run.baseline, plan, "close")
        sim.equity_curve.append(run.snapshot(run.portfolio))
        if base_symbol:
            sim.baseline_curve.append(run.snapshot(run.baseline))
        row = strategy.regime_row()
        if row is not None:
            sim.regime.append({"date": dates[i], **row})
    return sim


def _result(sim: _Simulation) -> BacktestResult:
    run, strategy, config, start_i, first_trade_i = sim.run, sim.strategy, sim.config, sim.start_i, sim.first_trade_i
    feed = run.feed
    dates = feed.dates
    warnings = list(sim.notes)
    if first_trade_i is None:
        warnings.append(
            f"warm-up never completed: {strategy.primary_symbol} needs {strategy.warmup_bars} bars; no trades were made"
        )
    elif first_trade_i > start_i:
        warnings.append(
            f"warm-up needs {strategy.warmup_bars} bars of {strategy.primary_symbol}: trading began on "
            f"{dates[first_trade_i]}, {first_trade_i - start_i} bars after the start {dates[start_i]} "
            "(load more history before the start to trade from it)"
        )
    if sim.pending is not None:
        warnings.append(f"targets decided on the last bar ({dates[-1]}) were not filled (fill at next open)")
    scaled = run.portfolio.scaled_buys
    if scaled:
        warnings.append(f"{len(scaled)} buy(s) were reduced to fit the available cash (first on {scaled[0][0]})")
    warnings += run.warnings.lines("times")
    warnings += strategy.warnings
    symbols = {
        s: {"first": b.days[0].astype(object), "last": b.days[-1].astype(object), "bars": len(b)}
        for s, b in feed.bars.items()
        if len(b)
    }
    return BacktestResult(
        strategy_id=strategy.class_id,
        params=dict(strategy.params),
        config=config,
        equity_curve=sim.equity_curve,
        baseline_symbol=config.baseline_symbol if sim.baseline_curve else None,
        baseline_curve=sim.baseline_curve,
        fills=run.portfolio.fills,
        trades=run.portfolio.trades,
        regime=sim.regime,
        warnings=warnings,
        data_range={
            "first_bar": dates[0],
            "last_bar": dates[-1],
            "start": dates[start_i],
            "end": dates[-1],
            "first_tradable": dates[first_trade_i] if first_trade_i is not None else None,
            "symbols": symbols,
        },
        bars_processed=len(dates),
        warmup_bars=strategy.warmup_bars,
        open_positions=list(run.portfolio.open_lots()),
    )
