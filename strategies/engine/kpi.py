"""Incremental daily KPIs for the daily performance table: O(1) per day, equal to a full recomputation.

Each trading day, the previous day's :class:`KpiState` (stored as JSON next to its row) and today's end-of-day
equity give today's :class:`DailyKpis` and the next state — no history is read. The values equal
:func:`strategies.engine.analyzer.analyze_performance` on the whole equity series up to that day to
within 1e-9 relative (tested on ≥ 2,600 days of real QQQ closes), because both finish with the same scalar
formulas (:mod:`strategies.engine._stats`) and differ only in how the moments are accumulated.

Accumulators (daily returns ``r_i = E_i / E_{i−1} − 1``, excess ``x_i = r_i − rf_d``):

* Welford (1962), as in Knuth TAOCP vol. 2 §4.2.2: ``n += 1; δ = r − mean; mean += δ / n; M2 += δ (r − mean)``;
  sample variance ``M2 / (n − 1)``.
* Downside accumulator ``D += min(x, 0)²``; downside deviation ``sqrt(D / n)`` (empyrical ``downside_risk``).
* High-water mark ``H = max(H, E)``, drawdown ``E / H − 1``, max drawdown ``min`` of drawdowns.
* The capital the entity started with (the base of cumulative return and CAGR, as in
  :func:`~strategies.engine.analyzer.analyze_performance` with ``initial_capital``; the first day's equity
  when none is given), first date (for calendar-day CAGR), first and previous equity and date.
* Trade counters (total, winning ``pnl > 0``, losing ``pnl < 0``).

Conventions: the first day has ``daily_return = 0``, ``days_since_previous = 0`` and no ratios (``None``);
a gap between rows (holiday, missed day) is one return and ``days_since_previous`` says how long it was.
Feeding a date that is not after the state's last date is **rejected** (``ValueError``): to redo day ``t``,
start again from the state stored with day ``t − 1`` — the result is identical, since the update is pure
(the input state is never mutated) and deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

from strategies.engine import _stats
from strategies.engine._stats import json_value

__all__ = ["KPI_STATE_VERSION", "DailyKpis", "KpiState", "kpi_update"]

KPI_STATE_VERSION = 2
# Version 1 had no ``capital``: its returns were measured from the first day's equity, which it still is when
# such a state is read (``capital = first_equity``), so an old chain continues exactly as it was computed.
_READABLE_VERSIONS = (1, KPI_STATE_VERSION)


@dataclass(frozen=True, slots=True)
class KpiState:
    """Everything needed to continue the KPIs on the next day. JSON round trip: :meth:`to_dict` / :meth:`from_dict`.

    Floats survive ``json.dumps``/``json.loads`` exactly (shortest repr), so a state read back from the database
    continues bit-identically.
    """

    version: int
    first_date: date
    first_equity: float
    capital: float  # base of cumulative return and CAGR: the initial capital (else the first equity)
    last_date: date
    last_equity: float
    return_count: int  # n: daily returns so far (rows − 1)
    return_mean: float  # Welford running mean of r
    return_m2: float  # Welford Σ(r − mean)²
    downside_sq_sum: float  # Σ min(r − rf_d, 0)²
    high_water_mark: float
    max_drawdown: float  # ≤ 0
    total_trades: int
    winning_trades: int
    losing_trades: int
    risk_free_rate: float  # annual; fixed for the life of the state
    periods_per_year: int

    @property
    def trading_days_count(self) -> int:
        """Equity rows seen, the first day included."""
        return self.return_count + 1

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dict (dates as ISO strings) for a JSON column."""
        return {key: json_value(value) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KpiState:
        """Rebuild a state from :meth:`to_dict`'s output; refuses unknown versions and missing keys."""
        if data.get("version") not in _READABLE_VERSIONS:
            raise ValueError(
                f"KPI state version {data.get('version')!r} is not supported (expected {KPI_STATE_VERSION}); "
                "rebuild the daily rows from the first day"
            )
        if data.get("version") == 1:
            data = {**data, "version": KPI_STATE_VERSION, "capital": data.get("first_equity")}
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"KPI state is missing {', '.join(missing)}; rebuild the daily rows from the first day")
        values = {name: data[name] for name in names}
        for name in ("first_date", "last_date"):
            values[name] = _stats.to_date(values[name], what=f"KPI state {name}")
        for name in ("first_equity", "capital", "last_equity", "high_water_mark"):
            values[name] = _stats.to_equity(values[name], what=f"KPI state {name}")
        for name in ("return_mean", "return_m2", "downside_sq_sum", "max_drawdown", "risk_free_rate"):
            values[name] = _stats.to_float(values[name], what=f"KPI state {name}")
        for name in ("version", "return_count", "total_trades", "winning_trades", "losing_trades", "periods_per_year"):
            values[name] = int(values[name])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class DailyKpis:
    """One day's KPIs (fractions; ``None`` = undefined so far). All-time values are since the first day."""

    trading_date: date
    equity: float
    daily_return: float  # E_t / E_prev − 1; 0 on the first day
    cumulative_return: float  # E_t / capital − 1
    drawdown: float  # E_t / high_water_mark − 1 (≤ 0)
    high_water_mark: float
    max_drawdown: float  # ≤ 0
    volatility: float | None  # annualised, needs ≥ 2 returns
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    cagr: float | None
    days_since_previous: int  # calendar days since the previous row; 0 on the first day
    is_first_day: bool
    trading_days_count: int  # rows so far, this one included
    total_trades: int
    winning_trades: int
    losing_trades: int
    win_rate: float | None  # winning / total; None before the first closed trade

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dict (date as ISO string; no infinities occur in these fields)."""
        return {f.name: json_value(getattr(self, f.name)) for f in fields(self)}


def kpi_update(
    state: KpiState | Mapping[str, Any] | None,
    trading_date: date | str,
    equity: Any,
    *,
    trades_closed: Iterable[Any] = (),
    initial_capital: Any = None,
    risk_free_rate: float = 0.0,
    periods_per_year: int = 252,
) -> tuple[KpiState, DailyKpis]:
    """Advance the KPIs by one trading day. Pure: returns a new state, never mutates ``state``.

    Parameters:
        state: the previous row's state (a :class:`KpiState` or its ``to_dict()``), or ``None`` on the first day.
        trading_date: this row's trading date (New York); must be after ``state.last_date``.
        equity: end-of-day total equity (> 0; ``Decimal`` or float).
        trades_closed: trades closed on this day — P&L numbers, mappings with ``"pnl"`` or objects with ``.pnl``.
        initial_capital: on the first day only (``state`` is ``None``): the capital the entity started with, the
            base of cumulative return and CAGR from then on (default: the first day's equity). Later days keep
            the state's.
        risk_free_rate: annual fraction; must equal the rate the state was started with.
        periods_per_year: annualisation periods (252); must equal the state's.

    Returns ``(new_state, kpis)``. Raises ``ValueError`` for a repeated or earlier date, non-positive equity,
    or a risk-free rate / periods differing from the state's.
    """
    day = _stats.to_date(trading_date, what="trading_date")
    value = _stats.to_equity(equity, what=f"equity on {day.isoformat()}")
    rf_daily = _stats.daily_rate(risk_free_rate, periods_per_year)
    wins, losses, total = _count_trades(trades_closed)

    if state is None:
        new_state = KpiState(
            version=KPI_STATE_VERSION,
            first_date=day,
            first_equity=value,
            capital=value if initial_capital is None else _stats.to_equity(initial_capital, what="initial_capital"),
            last_date=day,
            last_equity=value,
            return_count=0,
            return_mean=0.0,
            return_m2=0.0,
            downside_sq_sum=0.0,
            high_water_mark=value,
            max_drawdown=0.0,
            total_trades=total,
            winning_trades=wins,
            losing_trades=losses,
            risk_free_rate=float(risk_free_rate),
            periods_per_year=periods_per_year,
        )
        return new_state, _kpis(new_state, day, value, 0.0, 0, rf_daily, is_first_day=True)

    previous = state if isinstance(state, KpiState) else KpiState.from_dict(state)
    _check_continuation(previous, day, float(risk_free_rate), periods_per_year)
    daily_return = value / previous.last_equity - 1.0
    count = previous.return_count + 1
    delta = daily_return - previous.return_mean
    mean = previous.return_mean + delta / count
    high_water_mark = max(previous.high_water_mark, value)
    new_state = replace(
        previous,
        last_date=day,
        last_equity=value,
        return_count=count,
        return_mean=mean,
        return_m2=previous.return_m2 + delta * (daily_return - mean),
        downside_sq_sum=previous.downside_sq_sum + min(daily_return - rf_daily, 0.0) ** 2,
        high_water_mark=high_water_mark,
        max_drawdown=min(previous.max_drawdown, value / high_water_mark - 1.0),
        total_trades=previous.total_trades + total,
        winning_trades=previous.winning_trades + wins,
        losing_trades=previous.losing_trades + losses,
    )
    days_since_previous = (day - previous.last_date).days
    return new_state, _kpis(new_state, day, value, daily_return, days_since_previous, rf_daily, is_first_day=False)


def _check_continuation(state: KpiState, day: date, risk_free_rate: float, periods_per_year: int) -> None:
    """Refuse a day that does not continue ``state`` (repeated/earlier date, different rf or periods)."""
    if day <= state.last_date:
        raise ValueError(
            f"trading_date {day.isoformat()} is not after the state's last date {state.last_date.isoformat()}; "
            "to recompute a day, start from the state stored with the previous trading day"
        )
    if risk_free_rate != state.risk_free_rate or periods_per_year != state.periods_per_year:
        raise ValueError(
            f"risk_free_rate={risk_free_rate!r}, periods_per_year={periods_per_year!r} differ from the state's "
            f"({state.risk_free_rate!r}, {state.periods_per_year!r}); the accumulators depend on them — "
            "rebuild the daily rows from the first day to change them"
        )


def _count_trades(trades_closed: Iterable[Any]) -> tuple[int, int, int]:
    """(winning, losing, total) among the trades closed on one day."""
    pnls = [_stats.trade_pnl(trade) for trade in trades_closed]
    return sum(pnl > 0.0 for pnl in pnls), sum(pnl < 0.0 for pnl in pnls), len(pnls)


def _kpis(
    state: KpiState,
    day: date,
    equity: float,
    daily_return: float,
    days_since: int,
    rf_daily: float,
    *,
    is_first_day: bool,
) -> DailyKpis:
    """Ratios from the accumulated moments, finished with the analyzer's own formulas."""
    ppy = state.periods_per_year
    count = state.return_count
    std = math.sqrt(state.return_m2 / (count - 1)) if count >= 2 else None
    mean_excess = state.return_mean - rf_daily if count >= 2 else None
    downside_dev = math.sqrt(state.downside_sq_sum / count) if count >= 2 else None
    cagr = _stats.cagr(state.capital, equity, (day - state.first_date).days)
    return DailyKpis(
        trading_date=day,
        equity=equity,
        daily_return=daily_return,
        cumulative_return=equity / state.capital - 1.0,
        drawdown=equity / state.high_water_mark - 1.0,
        high_water_mark=state.high_water_mark,
        max_drawdown=state.max_drawdown,
        volatility=_stats.volatility(std, ppy),
        sharpe=_stats.sharpe(mean_excess, std, ppy),
        sortino=_stats.sortino(mean_excess, downside_dev, ppy),
        calmar=_stats.drawdown_ratio(cagr, state.max_drawdown),
        cagr=cagr,
        days_since_previous=days_since,
        is_first_day=is_first_day,
        trading_days_count=state.trading_days_count,
        total_trades=state.total_trades,
        winning_trades=state.winning_trades,
        losing_trades=state.losing_trades,
        win_rate=state.winning_trades / state.total_trades if state.total_trades else None,
    )
