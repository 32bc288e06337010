"""How numbers look on the pages: percentages, ratios, money, regime cells (pure functions, no I/O).

Inputs are whatever the rows hold — ``float``, ``Decimal``, numeric strings from JSON, ``"inf"`` for an
unbounded profit factor, or ``None`` for "undefined" — and every formatter shows undefined as an em dash.
"""

from __future__ import annotations

import math
from decimal import InvalidOperation
from typing import Any

MISSING = "—"
INFINITY = "∞"

# Same names as the numeric core's ``CELL_NAMES`` (hierarchical_adaptive); a test keeps them equal.
REGIME_CELL_NAMES = {1: "kill zone", 2: "fragile", 3: "drift", 4: "chop", 5: "grind", 6: "crash"}


def to_float(value: Any) -> float | None:
    """A finite or infinite float, or ``None`` for missing / NaN / unparsable values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, InvalidOperation):
        return None
    return None if math.isnan(number) else number


def fmt_pct(value: Any, digits: int = 2, *, signed: bool = False) -> str:
    """A fraction as a percentage: 0.1234 → ``12.34%`` (``+12.34%`` when ``signed``)."""
    number = to_float(value)
    if number is None or math.isinf(number):
        return MISSING
    return f"{number * 100:{'+' if signed else ''},.{digits}f}%"


def fmt_ratio(value: Any, digits: int = 2) -> str:
    """A ratio (Sharpe, profit factor …); ``inf`` becomes ∞."""
    number = to_float(value)
    if number is None:
        return MISSING
    if math.isinf(number):
        return INFINITY if number > 0 else f"−{INFINITY}"
    return f"{number:,.{digits}f}"


def fmt_money(value: Any, digits: int = 2) -> str:
    """Money with thousands separators: 123456.7 → ``$123,456.70``."""
    number = to_float(value)
    if number is None or math.isinf(number):
        return MISSING
    sign = "−" if number < 0 else ""
    return f"{sign}${abs(number):,.{digits}f}"


def fmt_int(value: Any) -> str:
    number = to_float(value)
    if number is None or math.isinf(number):
        return MISSING
    return f"{int(number):,}"


def sign_class(value: Any) -> str:
    """``pos`` / ``neg`` CSS class for a signed number ("" for zero or missing)."""
    number = to_float(value)
    if not number:
        return ""
    return "pos" if number > 0 else "neg"


def cell_label(cell: Any) -> str:
    """``3 · drift`` for a regime cell number; the raw value when it is not a known cell."""
    number = to_float(cell)
    if number is None:
        return MISSING
    if number.is_integer() and int(number) in REGIME_CELL_NAMES:
        return f"{int(number)} · {REGIME_CELL_NAMES[int(number)]}"
    return str(cell)


# unit of every metric the analyzer reports (strategies.engine.analyzer.PerformanceMetrics)
_PCT, _RATIO, _MONEY, _INT, _TEXT = "pct", "ratio", "money", "int", "text"
METRIC_UNITS: dict[str, str] = {
    "start_date": _TEXT,
    "end_date": _TEXT,
    "trading_days": _INT,
    "calendar_days": _INT,
    "initial_capital": _MONEY,
    "start_equity": _MONEY,
    "end_equity": _MONEY,
    "total_return": _PCT,
    "cagr": _PCT,
    "volatility": _PCT,
    "sharpe": _RATIO,
    "sortino": _RATIO,
    "max_drawdown": _PCT,
    "max_drawdown_peak_date": _TEXT,
    "max_drawdown_trough_date": _TEXT,
    "max_drawdown_recovery_date": _TEXT,
    "average_drawdown": _PCT,
    "longest_drawdown_days": _INT,
    "current_drawdown": _PCT,
    "high_water_mark": _MONEY,
    "calmar": _RATIO,
    "recovery_factor": _RATIO,
    "var_95": _PCT,
    "cvar_95": _PCT,
    "best_day": _PCT,
    "worst_day": _PCT,
    "beta": _RATIO,
    "alpha": _PCT,
    "baseline_total_return": _PCT,
    "exposure": _PCT,
    "total_trades": _INT,
    "winning_trades": _INT,
    "losing_trades": _INT,
    "win_rate": _PCT,
    "profit_factor": _RATIO,
    "avg_win": _MONEY,
    "avg_loss": _MONEY,
    "expectancy": _MONEY,
    "risk_free_rate": _PCT,
    "periods_per_year": _INT,
}
_LABELS = {
    "initial_capital": "Initial capital",
    "start_equity": "First-day equity (after its fills)",
    "cagr": "CAGR",
    "var_95": "VaR 95% (daily)",
    "cvar_95": "CVaR 95% (daily)",
    "max_drawdown": "Max drawdown",
    "avg_win": "Average win",
    "avg_loss": "Average loss",
}
_SIGNED = {"total_return", "cagr", "alpha", "baseline_total_return", "best_day", "worst_day", "expectancy"}


def metric_label(key: str) -> str:
    return _LABELS.get(key) or key.replace("_", " ").capitalize()


def fmt_metric(key: str, value: Any) -> str:
    """One metric formatted by its unit (unknown keys: numbers as ratios, anything else as text)."""
    unit = METRIC_UNITS.get(key)
    if unit is None:
        unit = _RATIO if to_float(value) is not None else _TEXT
    if unit == _PCT:
        return fmt_pct(value, signed=key in _SIGNED)
    if unit == _RATIO:
        return fmt_ratio(value)
    if unit == _MONEY:
        return fmt_money(value)
    if unit == _INT:
        return fmt_int(value)
    return MISSING if value in (None, "") else str(value)


def metric_rows(metrics: dict[str, Any]) -> list[dict[str, str]]:
    """``[{key, label, value, css}]`` in the analyzer's order, then any extra scalar keys alphabetically."""
    known = [key for key in METRIC_UNITS if key in metrics]
    extra = sorted(k for k, v in metrics.items() if k not in METRIC_UNITS and not isinstance(v, dict | list))
    rows = []
    for key in known + extra:
        value = metrics[key]
        css = sign_class(value) if key in _SIGNED or key.endswith("drawdown") else ""
        rows.append({"key": key, "label": metric_label(key), "value": fmt_metric(key, value), "css": css})
    return rows
