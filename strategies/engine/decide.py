"""The live decision: what the backtest would do on its last day, sized against the real account.

One engine for backtest and live. For a strategy that started trading on day S, its decision on day D is the
decision ``run_backtest`` makes on D over the same bars with ``config.start = S`` (same parameters, costs and
capital): :func:`decide` runs the very same event loop (:func:`strategies.engine.backtest._simulate`) from the
warm-up through D, and on D only

* the strategy's ``bar.weights`` are those of the supplied :class:`AccountState` (its holdings and cash
  marked at D's closes) instead of the simulated portfolio's, and
* the day's plan is sized against that account with the backtest's own sizing code (target shares =
  floor(equity × weight / reference price), equity marked at the reference prices; sells first; buys scaled
  down to the cash) and filled by the engine's fill model, giving the expected fills as planned orders.

When the account equals the simulated portfolio (paper trading without manual intervention) the planned
orders are exactly the backtest's fills on D; after a flatten or a partial live fill the decision starts
from reality. ``config.fill`` must be ``"close"``: a live decision fills at the price of the decision bar
(the synthetic bar of an intraday decision, the day's bar at the close).

No clock, settings or I/O: the caller supplies D's bar (the last row of ``data``) and the account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from .backtest import BacktestConfig, BacktestConfigError, _simulate
from .errors import DataError
from .portfolio import ZERO, Portfolio
from .strategy import Strategy


@dataclass(frozen=True)
class AccountState:
    """An account to decide for: ``cash`` and whole shares held per symbol (``cost_basis``: per share, optional)."""

    cash: Decimal
    positions: Mapping[str, int] = field(default_factory=dict)
    cost_basis: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedOrder:
    """One order of the day's plan: ``side`` "buy"/"sell", whole shares, the reference price it was sized at,
    and the fill price and commission the engine's fill model expects."""

    symbol: str
    side: str
    qty: int
    ref_price: Decimal
    fill_price: Decimal
    commission: Decimal


@dataclass
class Decision:
    """The decision on ``date``.

    * ``targets`` — target weights when the strategy rebalanced, ``None`` when it held;
    * ``orders`` — the plan against the account, sells first (empty when nothing needs to trade);
    * ``context`` — the strategy's view (``StrategyContext.as_dict()``: cell, trend, vol, indicators, target
      weights, reason); ``regime`` — its regime row for the day (``None`` while warming up);
    * ``prices`` — the latest close (6-decimal money) of every symbol with data, to mark the account;
    * ``account_equity`` — the account marked at ``prices`` before the orders;
    * ``simulated`` — the backtest's own equity row of ``date`` (what the simulated portfolio holds).
    """

    date: dt.date
    tradable: bool
    targets: dict[str, float] | None
    orders: list[PlannedOrder]
    context: dict[str, Any]
    regime: dict[str, Any] | None
    prices: dict[str, Decimal]
    account_equity: Decimal
    simulated: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)

    @property
    def rebalance(self) -> bool:
        """True when the strategy asked for new targets today."""
        return self.targets is not None


def decide(
    strategy: Strategy, data: Mapping[str, pd.DataFrame], config: BacktestConfig, *, account: AccountState
) -> Decision:
    """The decision on the last date of ``data`` (cut at ``config.end``) for ``account`` (module docstring)."""
    if config.fill != "close":
        raise BacktestConfigError(f"fill: a live decision fills at the decision bar ('close'), not {config.fill!r}")
    if account.cash < 0:
        raise BacktestConfigError(f"account cash must not be negative, got {account.cash}")
    day = _last_date(data, config)
    known = {s for s in (*strategy.symbols, config.baseline_symbol) if s and s in data and len(data[s])}
    unknown = sorted(s for s, q in account.positions.items() if q and s not in known)
    if unknown:
        raise DataError(f"held symbol(s) {', '.join(unknown)} are not among the strategy's symbols with data")
    portfolio = Portfolio.holding(
        account.cash, account.positions, config.costs, since=day, cost_basis=account.cost_basis
    )
    sim = _simulate(strategy, data, config, account=portfolio)
    run = sim.run
    feed = run.feed
    prices = {s: run.price(s, "close") for s in feed.bars if feed.count[s][run.i]}
    missing = sorted(s for s in account.positions if account.positions[s] and s not in prices)
    if missing:
        raise DataError(f"no price on {feed.dates[-1]} for held symbol(s) {', '.join(missing)}")
    equity = account.cash + sum((int(q) * prices[s] for s, q in account.positions.items() if q), ZERO)
    orders = [
        PlannedOrder(f["symbol"], f["side"], f["qty"], prices[f["symbol"]], f["price"], f["commission"])
        for f in portfolio.fills
    ]
    plan = sim.last_plan
    return Decision(
        date=feed.dates[-1],
        tradable=sim.last_tradable,
        targets=None if plan is None else plan.targets,
        orders=orders,
        context=strategy.context.as_dict(),
        regime=strategy.regime_row(),
        prices=prices,
        account_equity=equity,
        simulated=sim.equity_curve[-1] if sim.equity_curve else None,
        warnings=[*sim.notes, *run.warnings.lines("times"), *strategy.warnings],
    )


def _last_date(data: Mapping[str, pd.DataFrame], config: BacktestConfig) -> dt.date:
    days = [pd.Timestamp(f.index[-1]).date() for f in data.values() if len(f)]
    if not days:
        raise DataError("no market data given")
    last = max(days)
    return min(last, config.end) if config.end else last
