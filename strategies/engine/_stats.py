"""Private helpers shared by :mod:`strategies.engine.analyzer` and :mod:`strategies.engine.kpi`.

Not a public API. Both the full recomputation (analyzer) and the incremental daily KPIs (kpi) finish
their ratios with the *same* scalar functions below, so the two paths can only differ by the
floating-point error of the moments they feed in (a numpy mean/std versus Welford's running
moments), which keeps them equal to far better than 1e-9 relative.

Conventions (documented once here, repeated in the public docstrings):

* Daily risk-free rate from an annual rate ``rf``: ``rf_d = (1 + rf) ** (1 / periods_per_year) - 1``
  (the de-annualisation quantstats applies; empyrical takes ``rf_d`` directly).
* "Undefined" is ``None`` (never NaN): a ratio whose denominator is zero or whose sample is too small.
* Infinity is kept as ``float("inf")`` in Python and written as the string ``"inf"`` by
  :func:`json_value` (JSON has no infinity literal; ``json.dumps`` would emit invalid ``Infinity``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

#: JSON spelling of ``float("inf")`` / ``float("-inf")`` in ``as_dict()`` outputs.
INF_JSON = "inf"
NEG_INF_JSON = "-inf"

#: Calendar days per year used by CAGR (the spec: calendar days / 365.25).
DAYS_PER_YEAR = 365.25

Number = float | int | Decimal


def to_date(value: Any, *, what: str) -> date:
    """A trading date from ``date``, ``datetime``/``pd.Timestamp`` (date part) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, datetime):  # pd.Timestamp is a datetime subclass
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise ValueError(f"{what}: {value!r} is not a date; pass a datetime.date or an ISO string like '2024-01-31'")


def to_float(value: Any, *, what: str) -> float:
    """A finite float from a float, int, ``Decimal`` or numpy scalar; refuses NaN, infinity and junk."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what}: {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: {value!r} is not a number")
    if not math.isfinite(number):
        raise ValueError(f"{what}: {value!r} is not finite")
    return number


def to_equity(value: Any, *, what: str) -> float:
    """An equity value: finite and strictly positive (a return needs a non-zero previous equity)."""
    number = to_float(value, what=what)
    if number <= 0.0:
        raise ValueError(f"{what}: equity must be > 0 to define a return, got {value!r}")
    return number


def parse_curve(curve: Any, *, what: str) -> tuple[list[date], np.ndarray]:
    """Dates and equity values of a curve, validated.

    ``curve`` is a ``pd.Series`` indexed by date or a sequence of ``(date, equity)`` pairs. Dates must
    be strictly increasing: a repeated date is refused (one end-of-day equity per trading date), so a
    day can never count twice in the returns. Equity must be finite and > 0.
    """
    if isinstance(curve, pd.Series):
        # DatetimeIndex.date converts in one vectorised call (tz-aware: the local date).
        index = curve.index
        raw_dates: list[Any] = list(index.date) if isinstance(index, pd.DatetimeIndex) else list(index)
        raw_values: list[Any] = list(curve.to_numpy(dtype=object))
    elif isinstance(curve, Mapping):
        raise ValueError(f"{what}: pass a pd.Series or a list of (date, equity) pairs, not a mapping")
    else:
        raw_dates, raw_values = [], []
        for position, pair in enumerate(curve):
            try:
                raw_date, raw_value = pair
            except (TypeError, ValueError):
                raise ValueError(f"{what}[{position}]: expected a (date, equity) pair, got {pair!r}")
            raw_dates.append(raw_date)
            raw_values.append(raw_value)
    dates = [to_date(raw, what=f"{what} date") for raw in raw_dates]
    for position in range(1, len(dates)):
        if dates[position] <= dates[position - 1]:
            raise ValueError(
                f"{what}[{position}]: date {dates[position].isoformat()} is not after "
                f"{dates[position - 1].isoformat()}; dates must be strictly increasing with one end-of-day "
                "equity per trading date"
            )
    return dates, _equity_array(raw_values, dates, what=what)


def _equity_array(raw_values: list[Any], dates: list[date], *, what: str) -> np.ndarray:
    """Float array of equities; vectorised, with the per-value check (and its message) only on failure."""
    values = None
    if not any(isinstance(value, bool | str) or value is None for value in raw_values):
        try:
            values = np.asarray(raw_values, dtype=float)
        except (TypeError, ValueError):
            values = None
    if values is None or not (np.isfinite(values).all() and (values > 0.0).all()):
        for day, value in zip(dates, raw_values, strict=True):
            to_equity(value, what=f"{what} on {day.isoformat()}")
        raise AssertionError("unreachable: an invalid equity passed the per-value check")  # pragma: no cover
    return values.reshape(len(raw_values))


def parse_aligned(values: Any, dates: Sequence[date], *, what: str) -> list[Any]:
    """Per-row values aligned with ``dates``: a sequence of the same length or a ``pd.Series`` on the same dates."""
    if isinstance(values, pd.Series):
        own_dates = [to_date(d, what=f"{what} index") for d in values.index]
        if own_dates != list(dates):
            raise ValueError(f"{what}: its dates must be exactly the equity curve's dates")
        items = list(values.to_numpy(dtype=object))
    else:
        items = list(values)
        if len(items) != len(dates):
            raise ValueError(f"{what}: expected {len(dates)} values (one per equity row), got {len(items)}")
    return items


def is_missing(value: Any) -> bool:
    """True for ``None`` and float NaN (pandas' marker for a missing cell)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def trade_pnl(trade: Any) -> float:
    """Realised P&L (account currency) of a closed trade.

    Accepts a number, a mapping with ``"pnl"`` or an object with a ``pnl`` attribute.
    """
    if isinstance(trade, Mapping):
        if "pnl" not in trade:
            raise ValueError(f"closed trade {trade!r} has no 'pnl'")
        raw = trade["pnl"]
    elif hasattr(trade, "pnl"):
        raw = trade.pnl
    else:
        raw = trade
    return to_float(raw, what="closed trade pnl")


def daily_rate(annual_rate: float, periods_per_year: int) -> float:
    """Per-period rate ``(1 + rf) ** (1 / periods_per_year) - 1`` (geometric de-annualisation)."""
    rate = to_float(annual_rate, what="risk_free_rate")
    if rate <= -1.0:
        raise ValueError(f"risk_free_rate must be > -1 (a fraction, 0.04 = 4%), got {annual_rate!r}")
    if not isinstance(periods_per_year, int) or isinstance(periods_per_year, bool) or periods_per_year <= 0:
        raise ValueError(f"periods_per_year must be a positive integer (252 for daily bars), got {periods_per_year!r}")
    return (1.0 + rate) ** (1.0 / periods_per_year) - 1.0


def volatility(std: float | None, periods_per_year: int) -> float | None:
    """Annualised volatility ``σ_daily × √periods_per_year`` (``None`` without a sample std)."""
    return None if std is None else std * math.sqrt(periods_per_year)


def sharpe(mean_excess: float | None, std: float | None, periods_per_year: int) -> float | None:
    """Sharpe ratio ``mean(r − rf_d) / std(r, ddof=1) × √periods_per_year``; ``None`` when std is 0 or unknown.

    The std of excess returns equals the std of raw returns (a constant shift), so callers may pass either.
    """
    if mean_excess is None or std is None or std == 0.0:
        return None
    return mean_excess / std * math.sqrt(periods_per_year)


def sortino(mean_excess: float | None, downside_dev: float | None, periods_per_year: int) -> float | None:
    """Sortino ratio as empyrical: ``mean(r − rf_d) × P / (DD × √P)`` with ``DD = sqrt(mean(min(r − rf_d, 0)²))``.

    ``DD`` is the daily downside deviation over *all* returns (Sortino & Price; empyrical ``downside_risk``);
    ``None`` when it is 0 (no return below the risk-free rate) or unknown.
    """
    if mean_excess is None or downside_dev is None or downside_dev == 0.0:
        return None
    return mean_excess * periods_per_year / (downside_dev * math.sqrt(periods_per_year))


def cagr(first_equity: float, last_equity: float, calendar_days: int) -> float | None:
    """Compound annual growth ``(E_last / E_first) ** (365.25 / calendar_days) − 1``.

    Calendar days between the first and last date (the spec's convention; empyrical/quantstats count
    return rows / 252 instead). ``None`` for a zero-day span or when the power overflows a float.
    """
    if calendar_days <= 0:
        return None
    try:
        return (last_equity / first_equity) ** (DAYS_PER_YEAR / calendar_days) - 1.0
    except OverflowError:
        return None


def drawdown_ratio(value: float | None, max_drawdown: float | None) -> float | None:
    """``value / |max drawdown|``: the Calmar ratio for ``value = CAGR``, the recovery factor for the total
    return; ``None`` when there is no drawdown or no value."""
    if value is None or max_drawdown is None or max_drawdown >= 0.0:
        return None
    return value / abs(max_drawdown)


def json_value(value: Any) -> Any:
    """A JSON-safe value: dates → ISO strings, ±inf → ``"inf"``/``"-inf"``, NaN → ``None``, numpy → Python."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return INF_JSON if value > 0 else NEG_INF_JSON
    if isinstance(value, Mapping):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return value
