"""The regime indicators a strategy decided on: current values, history rows and what each one means.

Read from the trading job's ``RegimeState`` rows (ADR-04: only the trading job writes them), never recomputed:
what the API and the pages show is exactly what the decision saw. Used by ``/api/indicators*`` and by the
overview and regime pages (their tooltips are the descriptions below).
"""

from __future__ import annotations

from typing import Any

from strategies.display import REGIME_CELL_NAMES
from strategies.models import Strategy
from trading.models import RegimeState

# The thresholds the hierarchical allocator compares its indicators with (parameter names of v3.5b/v3.5d).
THRESHOLD_PARAMS = (
    "t_norm_bull_thresh",
    "t_norm_bear_thresh",
    "upper_thresh_z",
    "lower_thresh_z",
    "sma_fast",
    "sma_slow",
    "bond_sma_fast",
    "bond_sma_slow",
    "vol_crush_threshold",
    "rebalance_threshold",
)

INDICATOR_DESCRIPTIONS: tuple[dict[str, str], ...] = (
    {
        "key": "t_norm",
        "name": "T_norm",
        "range": "−1 … +1",
        "description": "Kalman trend strength of the signal symbol (QQQ) divided by T_max and clamped to ±1: "
        "positive when prices trend up, negative when they trend down.",
        "used_for": "Trend: BullStrong needs T_norm above t_norm_bull_thresh (and SMA fast > slow); BearStrong "
        "needs it below t_norm_bear_thresh (and SMA fast ≤ slow); anything else is Sideways.",
    },
    {
        "key": "sma_fast",
        "name": "SMA fast",
        "range": "price (USD)",
        "description": "Simple moving average of the signal symbol's closes over sma_fast sessions (default 40).",
        "used_for": "Structural trend: compared with SMA slow; fast above slow confirms an up-trend.",
    },
    {
        "key": "sma_slow",
        "name": "SMA slow",
        "range": "price (USD)",
        "description": "Simple moving average of the signal symbol's closes over sma_slow sessions (default 140).",
        "used_for": "Structural trend: the reference the fast SMA is compared with.",
    },
    {
        "key": "z_score",
        "name": "z-score",
        "range": "standard deviations",
        "description": "Today's annualised realised volatility (realized_vol_window sessions) against its own "
        "mean and standard deviation over vol_baseline_window sessions.",
        "used_for": "Volatility state with hysteresis: High above upper_thresh_z, Low below lower_thresh_z, "
        "otherwise unchanged from the previous session.",
    },
    {
        "key": "vol_state",
        "name": "Vol state",
        "range": "Low | High",
        "description": "The volatility regime after hysteresis; a vol-crush (volatility falling faster than "
        "vol_crush_threshold over vol_crush_lookback sessions) forces Low.",
        "used_for": "Cell: Low picks the odd cell of the trend (1, 3, 5), High the even one (2, 4, 6).",
    },
    {
        "key": "trend_state",
        "name": "Trend",
        "range": "BullStrong | Sideways | BearStrong",
        "description": "The trend chosen from T_norm and the SMA structure (v3.5d holds BullStrong until a "
        "cell-1 exit is confirmed).",
        "used_for": "Cell: BullStrong → 1/2, Sideways → 3/4, BearStrong → 5/6.",
    },
    {
        "key": "bond_trend",
        "name": "Bond trend",
        "range": "Bull | Bear",
        "description": "SMA(bond_sma_fast) of TLT against SMA(bond_sma_slow): Bull when the fast one is above.",
        "used_for": "Treasury overlay in cells 4, 5 and 6: part of the defensive weight goes to TMF (Bull) or "
        "TMV (Bear), the rest stays cash.",
    },
    {
        "key": "cell",
        "name": "Regime cell",
        "range": "1 … 6",
        "description": "Trend × volatility: " + ", ".join(f"{n} {name}" for n, name in REGIME_CELL_NAMES.items()) + ".",
        "used_for": "Allocation: each cell has base weights (TQQQ, QQQ, PSQ, cash) plus the treasury overlay.",
    },
)

DESCRIPTIONS_BY_KEY = {item["key"]: item for item in INDICATOR_DESCRIPTIONS}

HISTORY_FIELDS = (
    "trading_date",
    "strategy_id",
    "mode",
    "cell",
    "trend_state",
    "vol_state",
    "t_norm",
    "sma_fast",
    "sma_slow",
    "z_score",
    "sigma",
    "vol_crush",
    "bond_trend",
    "bond_sma_fast",
    "bond_sma_slow",
    "rebalance",
    "grade",
    "decided_at",
)


def indicator_values(row: RegimeState) -> dict[str, Any]:
    """One regime row's indicator values (the :data:`HISTORY_FIELDS`) as JSON-ready values."""
    return {
        "trading_date": row.trading_date.isoformat(),
        "strategy_id": row.strategy_id,
        "mode": row.mode,
        "cell": row.strategy_cell,
        "trend_state": row.trend_state or None,
        "vol_state": row.vol_state or None,
        "t_norm": row.t_norm,
        "sma_fast": row.sma_fast,
        "sma_slow": row.sma_slow,
        "z_score": row.z_score,
        "sigma": (row.indicators or {}).get("sigma"),
        "vol_crush": row.vol_crush,
        "bond_trend": row.bond_trend or None,
        "bond_sma_fast": row.bond_sma_fast,
        "bond_sma_slow": row.bond_sma_slow,
        "rebalance": row.rebalance,
        "grade": row.grade or None,
        "decided_at": row.decided_at.isoformat(),
    }


def regime_thresholds(strategy: Strategy) -> dict[str, Any]:
    """The threshold parameters (:data:`THRESHOLD_PARAMS`) the strategy decides with now: class defaults, its
    YAML and its active ``strategy.*`` overrides (one query). ``{}`` for a strategy without such parameters."""
    from strategies.engine.errors import StrategyNotFoundError
    from strategies.engine.strategy import get_strategy_class
    from strategies.services.registry import strategy_effective_params

    try:
        defaults = {spec.name: spec.default for spec in get_strategy_class(strategy.strategy_class).param_specs}
    except StrategyNotFoundError:
        return {}
    params = {**defaults, **strategy_effective_params(strategy)}
    return {name: params[name] for name in THRESHOLD_PARAMS if name in params}
