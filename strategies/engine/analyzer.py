"""Performance analyzer: the one implementation of performance metrics (backtests, EOD KPIs, the API).

Input is an equity curve (one end-of-day equity per trading date). Everything derives from it:

* Daily returns ``r_t = E_t / E_{t−1} − 1`` over consecutive rows: ``n`` equity points give ``n − 1``
  returns; the first row is the starting point, not a return. A gap between rows (holiday, missed day)
  is still one return; CAGR is the only metric that looks at calendar time.
* Total return and CAGR are measured from the **initial capital** ``C`` when it is given — the money the
  run started with, before the first row's fills and costs (what backtrader's and backtesting.py's
  returns start from) — else from the first row's equity ``E_0``. The capital is taken to be invested on
  the first row's date, so CAGR's calendar days still run from the first to the last row.
* Risk-free rate ``rf`` is annual; per day ``rf_d = (1 + rf) ** (1 / P) − 1`` with ``P = periods_per_year``
  (quantstats' de-annualisation; pass ``rf_d`` as empyrical's ``risk_free``). Default 0.
* All returns and drawdowns are fractions (0.12 = 12%); drawdowns are ≤ 0.
* "Undefined" is ``None``, never NaN: e.g. Sharpe with zero std, Calmar without a drawdown.
* Infinity exists only for ``profit_factor`` (wins and no losses): ``float("inf")`` in Python, the
  string ``"inf"`` in :meth:`PerformanceMetrics.as_dict`.

Formulas (sources: empyrical-reloaded ``stats.py``, quantstats ``stats.py``, Sortino & Price 1994):

========================  ===================================================================================
total_return              ``E_n / C − 1`` (``C = E_0`` without an initial capital)
cagr                      ``(E_n / C) ** (365.25 / calendar_days) − 1`` — calendar days, *not* empyrical's
                          ``len(r) / 252`` years (for ``C = E_0`` the same value as ``empyrical.cagr(r,
                          annualization=len(r) × 365.25 / calendar_days)``)
volatility                ``std(r, ddof=1) × √P``
sharpe                    ``mean(r − rf_d) / std(r − rf_d, ddof=1) × √P``
sortino                   ``mean(r − rf_d) × P / (sqrt(mean(min(r − rf_d, 0)²)) × √P)`` (empyrical)
max_drawdown              ``min_t(E_t / max_{s≤t} E_s − 1)``; the first row is the starting peak
average_drawdown          mean depth of the drawdown episodes (maximal runs of rows below the running peak)
longest_drawdown_days     calendar days from an episode's peak row to its recovery row (or to the last row
                          while still under water), longest episode (quantstats' ``drawdown_details`` counts
                          first to last under-water day + 1 instead)
calmar                    ``cagr / |max_drawdown|``
recovery_factor           ``total_return / |max_drawdown|`` (quantstats uses ``|Σ r|`` instead — deliberate)
var_95                    ``percentile(r, 5)`` with linear interpolation (empyrical ``value_at_risk``)
cvar_95                   mean of the ``⌊(n_r − 1) × 0.05⌋ + 1`` lowest returns (empyrical; equals
                          quantstats' historical CVaR unless returns tie at the VaR)
baseline_total_return     ``B_n / C − 1`` — the baseline started with the same capital (``B_n / B_0 − 1``
                          without one)
beta                      ``cov(r − rf_d, b − rf_d) / var(b − rf_d)``
alpha                     ``(1 + mean((r − rf_d) − β (b − rf_d))) ** P − 1`` (empyrical; quantstats' ``greeks``
                          reports the simple ``mean(...) × P`` instead)
exposure                  share of return days on which capital was invested: ``positions_value`` at the
                          previous row ≠ 0; without positions, share of non-zero returns (quantstats'
                          ``exposure`` without its rounding up to a whole percent)
========================  ===================================================================================

Trade statistics use realised P&L of closed trades (account currency): win_rate = wins / trades
(break-even trades count as trades, neither win nor loss), profit_factor = gross profit / gross loss,
avg_win / avg_loss (avg_loss is negative), expectancy = mean P&L per trade.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from strategies.engine import _stats
from strategies.engine._stats import INF_JSON, json_value

__all__ = ["INF_JSON", "PerformanceMetrics", "RegimeCellStats", "analyze_performance", "equity_returns"]

VAR_CUTOFF = 0.05


@dataclass(frozen=True, slots=True)
class RegimeCellStats:
    """Returns earned while a regime cell was in force.

    A day's return ``r_t`` (close ``t−1`` → close ``t``) belongs to the cell of row ``t−1``: the cell decided at
    a bar sets the allocation held until the next bar. ``days`` counts those returns; the returns are
    compounded: ``Π(1 + r) − 1`` for the strategy and for the baseline (``None`` without a baseline).
    """

    cell: int
    days: int
    strategy_return: float
    baseline_return: float | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: json_value(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class PerformanceMetrics:
    """All metrics of one equity curve. Fractions (0.12 = 12%), money in the curve's currency, dates as ``date``.

    See the module docstring for every formula. ``None`` means undefined for this input (too few points, a
    zero denominator, no trades, no baseline); ``profit_factor`` may be ``float("inf")``.
    """

    start_date: date | None
    end_date: date | None
    trading_days: int  # equity rows
    calendar_days: int
    initial_capital: float | None  # the base of total return and CAGR (the first row's equity when not given)
    start_equity: float | None  # the first row's equity (after that day's fills)
    end_equity: float | None
    total_return: float | None
    cagr: float | None
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None
    max_drawdown_peak_date: date | None
    max_drawdown_trough_date: date | None
    max_drawdown_recovery_date: date | None
    average_drawdown: float | None
    longest_drawdown_days: int
    current_drawdown: float | None
    high_water_mark: float | None
    calmar: float | None
    recovery_factor: float | None
    var_95: float | None
    cvar_95: float | None
    best_day: float | None
    worst_day: float | None
    beta: float | None
    alpha: float | None
    baseline_total_return: float | None
    exposure: float | None
    total_trades: int
    winning_trades: int
    losing_trades: int
    win_rate: float | None
    profit_factor: float | None
    avg_win: float | None
    avg_loss: float | None
    expectancy: float | None
    regime_cells: tuple[RegimeCellStats, ...]
    risk_free_rate: float
    periods_per_year: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dict: dates → ``"YYYY-MM-DD"``, ``inf`` → ``"inf"``, undefined → ``None``, cells → dicts."""
        out = {f.name: json_value(getattr(self, f.name)) for f in fields(self) if f.name != "regime_cells"}
        out["regime_cells"] = [cell.as_dict() for cell in self.regime_cells]
        return out


def equity_returns(equity_curve: Any) -> pd.Series:
    """Daily returns ``E_t / E_{t−1} − 1`` of a curve, indexed by the later date (``n − 1`` values for ``n`` rows)."""
    dates, equity = _stats.parse_curve(equity_curve, what="equity_curve")
    return pd.Series(_returns(equity), index=pd.DatetimeIndex(dates[1:]), dtype=float, name="return")


def _returns(equity: np.ndarray) -> np.ndarray:
    """``E_t / E_{t−1} − 1`` over consecutive rows (empty for fewer than two rows)."""
    return equity[1:] / equity[:-1] - 1.0


def analyze_performance(
    equity_curve: Any,
    *,
    initial_capital: Any = None,
    baseline_curve: Any = None,
    trades: Sequence[Any] | None = None,
    regime_cells: Any = None,
    positions_value: Any = None,
    risk_free_rate: float = 0.0,
    periods_per_year: int = 252,
) -> PerformanceMetrics:
    """Compute every performance metric of an equity curve.

    Parameters:
        equity_curve: ``pd.Series`` indexed by date or a sequence of ``(date, equity)``; equity > 0, ``Decimal``
            or float; dates strictly increasing (a repeated date is refused — one end-of-day equity per day).
        initial_capital: the money the run started with (> 0), before the first row's fills; total return, CAGR
            and the baseline's total return are measured from it. Default: the first row's equity.
        baseline_curve: the baseline's equity on exactly the same dates (for beta, alpha, per-cell baseline return).
        trades: closed trades — numbers (P&L), mappings with ``"pnl"`` or objects with ``.pnl``; entry/exit dates
            and returns may be present and are not used.
        regime_cells: one cell (int, or ``None`` during warm-up) per equity row, as a sequence or a date-indexed
            ``pd.Series``.
        positions_value: market value of positions per equity row (for exposure).
        risk_free_rate: annual fraction (0.04 = 4%); de-annualised geometrically over ``periods_per_year``.
        periods_per_year: return periods per year (252 for daily bars).

    Returns a :class:`PerformanceMetrics`. Never raises on short or flat curves (values become ``None``); raises
    ``ValueError`` with a fix-it message on malformed input (non-positive equity, repeated dates, misaligned
    baseline, cells or positions).
    """
    rf_daily = _stats.daily_rate(risk_free_rate, periods_per_year)
    dates, equity = _stats.parse_curve(equity_curve, what="equity_curve")
    returns = _returns(equity)
    base = None
    if dates:
        base = (
            float(equity[0]) if initial_capital is None else _stats.to_equity(initial_capital, what="initial_capital")
        )

    baseline_returns = None
    if baseline_curve is not None:
        base_dates, base_equity = _stats.parse_curve(baseline_curve, what="baseline_curve")
        if base_dates != dates:
            raise ValueError("baseline_curve: it must have exactly the equity curve's dates (align it first)")
        baseline_returns = _returns(base_equity)

    values: dict[str, Any] = {
        "start_date": dates[0] if dates else None,
        "end_date": dates[-1] if dates else None,
        "trading_days": len(dates),
        "calendar_days": (dates[-1] - dates[0]).days if dates else 0,
        "initial_capital": base,
        "start_equity": float(equity[0]) if dates else None,
        "end_equity": float(equity[-1]) if dates else None,
        "total_return": float(equity[-1] / base - 1.0) if dates else None,
        "risk_free_rate": float(risk_free_rate),
        "periods_per_year": periods_per_year,
    }
    values["cagr"] = _stats.cagr(base, float(equity[-1]), values["calendar_days"]) if dates else None
    values.update(_return_stats(returns, rf_daily, periods_per_year))
    values.update(_drawdown_stats(dates, equity))
    values["calmar"] = _stats.drawdown_ratio(values["cagr"], values["max_drawdown"])
    values["recovery_factor"] = _stats.drawdown_ratio(values["total_return"], values["max_drawdown"])
    values.update(_baseline_stats(returns, baseline_returns, rf_daily, periods_per_year))
    values["baseline_total_return"] = None
    if baseline_returns is not None and dates:
        baseline_base = base if initial_capital is not None else float(base_equity[0])
        values["baseline_total_return"] = float(base_equity[-1] / baseline_base - 1.0)
    values["exposure"] = _exposure(returns, dates, positions_value)
    values.update(_trade_stats(trades or ()))
    values["regime_cells"] = _regime_stats(returns, baseline_returns, dates, regime_cells)
    return PerformanceMetrics(**values)


def _sample_std(values: np.ndarray) -> float | None:
    """Sample std (ddof=1); exactly 0 when all values are equal (numpy can leave a ~1e-18 residue)."""
    if len(values) < 2:
        return None
    if values.max() == values.min():
        return 0.0
    return float(np.std(values, ddof=1))


def _return_stats(returns: np.ndarray, rf_daily: float, periods_per_year: int) -> dict[str, Any]:
    """Volatility, Sharpe, Sortino (need ≥ 2 returns), VaR/CVaR and best/worst day (need ≥ 1)."""
    out: dict[str, Any] = dict.fromkeys(
        ("volatility", "sharpe", "sortino", "var_95", "cvar_95", "best_day", "worst_day")
    )
    if len(returns) == 0:
        return out
    excess = returns - rf_daily
    std = _sample_std(returns)
    if len(returns) >= 2:
        mean_excess = float(np.mean(excess))
        downside_dev = math.sqrt(float(np.mean(np.square(np.minimum(excess, 0.0)))))
        out["volatility"] = _stats.volatility(std, periods_per_year)
        out["sharpe"] = _stats.sharpe(mean_excess, std, periods_per_year)
        out["sortino"] = _stats.sortino(mean_excess, downside_dev, periods_per_year)
    tail_size = int((len(returns) - 1) * VAR_CUTOFF) + 1
    out["var_95"] = float(np.percentile(returns, 100 * VAR_CUTOFF))
    out["cvar_95"] = float(np.mean(np.partition(returns, tail_size - 1)[:tail_size]))
    out["best_day"] = float(returns.max())
    out["worst_day"] = float(returns.min())
    return out


def _drawdown_stats(dates: list[date], equity: np.ndarray) -> dict[str, Any]:
    """Max drawdown with its peak/trough/recovery dates, episode statistics, current drawdown and high-water mark."""
    out: dict[str, Any] = {
        "max_drawdown": None,
        "max_drawdown_peak_date": None,
        "max_drawdown_trough_date": None,
        "max_drawdown_recovery_date": None,
        "average_drawdown": None,
        "longest_drawdown_days": 0,
        "current_drawdown": None,
        "high_water_mark": None,
    }
    if len(equity) == 0:
        return out
    peaks = np.maximum.accumulate(equity)
    drawdown = equity / peaks - 1.0
    trough = int(np.argmin(drawdown))
    out["max_drawdown"] = float(drawdown[trough])
    out["current_drawdown"] = float(drawdown[-1])
    out["high_water_mark"] = float(peaks[-1])
    out["average_drawdown"] = 0.0
    if drawdown[trough] >= 0.0:
        return out
    peak_level = peaks[trough]
    out["max_drawdown_peak_date"] = dates[int(np.flatnonzero(equity[: trough + 1] == peak_level)[-1])]
    out["max_drawdown_trough_date"] = dates[trough]
    recovered = np.flatnonzero(equity[trough + 1 :] >= peak_level)
    out["max_drawdown_recovery_date"] = dates[trough + 1 + int(recovered[0])] if len(recovered) else None

    # Episodes: maximal runs of rows below the running peak; row 0 is never below it.
    under = np.concatenate(([False], drawdown < 0.0, [False]))
    edges = np.flatnonzero(np.diff(under.astype(np.int8)))
    starts, stops = edges[0::2], edges[1::2]  # rows [start, stop) are under water
    depths = [float(drawdown[start:stop].min()) for start, stop in zip(starts, stops, strict=True)]
    last_row = len(equity) - 1
    durations = [
        (dates[min(stop, last_row)] - dates[start - 1]).days for start, stop in zip(starts, stops, strict=True)
    ]
    out["average_drawdown"] = math.fsum(depths) / len(depths)
    out["longest_drawdown_days"] = max(durations)
    return out


def _baseline_stats(
    returns: np.ndarray, baseline_returns: np.ndarray | None, rf_daily: float, periods_per_year: int
) -> dict[str, Any]:
    """Beta and alpha (need ≥ 2 returns and a non-constant baseline)."""
    out: dict[str, Any] = {"beta": None, "alpha": None}
    if baseline_returns is None:
        return out
    if len(returns) < 2 or baseline_returns.max() == baseline_returns.min():
        return out
    strategy_excess = returns - rf_daily
    baseline_excess = baseline_returns - rf_daily
    centred = baseline_excess - np.mean(baseline_excess)
    variance = float(np.mean(np.square(centred)))
    if variance <= 0.0:
        return out
    beta = float(np.mean(centred * strategy_excess)) / variance
    daily_alpha = float(np.mean(strategy_excess - beta * baseline_excess))
    out["beta"] = beta
    try:
        out["alpha"] = (1.0 + daily_alpha) ** periods_per_year - 1.0
    except OverflowError:
        out["alpha"] = None
    return out


def _exposure(returns: np.ndarray, dates: list[date], positions_value: Any) -> float | None:
    """Share of return days with capital invested (see the module docstring); ``None`` without returns."""
    if len(returns) == 0:
        return None
    if positions_value is None:
        return float(np.count_nonzero(returns)) / len(returns)
    items = _stats.parse_aligned(positions_value, dates, what="positions_value")
    held = [
        _stats.to_float(value, what=f"positions_value on {day.isoformat()}") != 0.0
        for day, value in zip(dates, items, strict=True)
    ]
    return sum(held[:-1]) / len(returns)


def _trade_stats(trades: Sequence[Any]) -> dict[str, Any]:
    """Win rate, profit factor, average win/loss and expectancy of closed trades (P&L in account currency)."""
    pnls = [_stats.trade_pnl(trade) for trade in trades]
    wins = [pnl for pnl in pnls if pnl > 0.0]
    losses = [pnl for pnl in pnls if pnl < 0.0]
    out: dict[str, Any] = {
        "total_trades": len(pnls),
        "winning_trades": len(wins),
        "losing_trades": len(losses),
        "win_rate": len(wins) / len(pnls) if pnls else None,
        "avg_win": math.fsum(wins) / len(wins) if wins else None,
        "avg_loss": math.fsum(losses) / len(losses) if losses else None,
        "expectancy": math.fsum(pnls) / len(pnls) if pnls else None,
        "profit_factor": None,
    }
    gross_profit, gross_loss = math.fsum(wins), -math.fsum(losses)
    if gross_loss > 0.0:
        out["profit_factor"] = gross_profit / gross_loss  # 0.0 when every trade lost
    elif gross_profit > 0.0:
        out["profit_factor"] = math.inf  # wins and no losses
    return out  # no trades, or only break-even trades: undefined (None)


def _regime_stats(
    returns: np.ndarray, baseline_returns: np.ndarray | None, dates: list[date], regime_cells: Any
) -> tuple[RegimeCellStats, ...]:
    """Per-cell days and compounded strategy/baseline returns; return ``t`` belongs to the cell of row ``t−1``."""
    if regime_cells is None:
        return ()
    items = _stats.parse_aligned(regime_cells, dates, what="regime_cells")
    by_cell: dict[int, list[int]] = {}
    for row, raw in enumerate(items[:-1]):
        if _stats.is_missing(raw):
            continue
        number = _stats.to_float(raw, what=f"regime cell on {dates[row].isoformat()}")
        if not number.is_integer():
            raise ValueError(f"regime cell on {dates[row].isoformat()}: expected an integer cell, got {raw!r}")
        by_cell.setdefault(int(number), []).append(row)  # index of return r_{row+1}
    stats = []
    for cell in sorted(by_cell):
        rows = np.asarray(by_cell[cell])
        baseline = None if baseline_returns is None else float(np.prod(1.0 + baseline_returns[rows]) - 1.0)
        stats.append(RegimeCellStats(cell, len(rows), float(np.prod(1.0 + returns[rows]) - 1.0), baseline))
    return tuple(stats)
