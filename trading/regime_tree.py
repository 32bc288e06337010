"""Today's regime decision explained as a tree: trend → volatility → cell → allocation, with the values and
thresholds that chose each branch. Pure functions over a stored ``RegimeState`` (no queries).

The rules are the hierarchical allocator's (``strategies/engine/library/hierarchical_adaptive.py``, steps 4–9);
this module only explains a decision the engine already made, so where the stored values and the rules
disagree (a v3.5d cell-1 hold, a vol-crush) the stored trend and vol state win and the explanation says why.
"""

from __future__ import annotations

from typing import Any

from strategies.engine.library.hierarchical_adaptive import BASE_WEIGHTS, CELL_NAMES

TRENDS = ("BullStrong", "Sideways", "BearStrong")
VOL_STATES = ("Low", "High")
_BASE_LEGS = ("TQQQ (leveraged long)", "QQQ (core long)", "PSQ (inverse hedge)", "cash")


def cell_of(trend: str, vol_state: str) -> int:
    """The cell of a trend and a vol state: BullStrong → 1/2, Sideways → 3/4, BearStrong → 5/6 (Low/High)."""
    return {"BullStrong": 1, "Sideways": 3, "BearStrong": 5}[trend] + (0 if vol_state == "Low" else 1)


def cell_table() -> list[dict[str, Any]]:
    """The six cells: number, name, trend, vol state, base weights and whether the treasury overlay applies."""
    return [
        {
            "cell": cell,
            "name": CELL_NAMES[cell],
            "trend_state": TRENDS[(cell - 1) // 2],
            "vol_state": VOL_STATES[(cell - 1) % 2],
            "base_weights": {leg: w for leg, w in zip(_BASE_LEGS, BASE_WEIGHTS[cell], strict=True) if w},
            "treasury_overlay": cell in (4, 5, 6),
        }
        for cell in sorted(CELL_NAMES)
    ]


def _num(value: Any, digits: int) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def _trend_why(state, th: dict[str, Any]) -> str:
    t, fast, slow = state.t_norm, state.sma_fast, state.sma_slow
    bull, bear = th.get("t_norm_bull_thresh"), th.get("t_norm_bear_thresh")
    if t is None or fast is None or slow is None or bull is None or bear is None:
        return "indicator values or thresholds not recorded"
    up = fast > slow
    sma = f"SMA fast {fast:.2f} {'>' if up else '≤'} SMA slow {slow:.2f}"
    if state.trend_state == "BullStrong":
        if t > bull and up:
            return f"T_norm {t:+.3f} > {bull:+.3f} and {sma}"
        return f"held in BullStrong: T_norm {t:+.3f} ≤ {bull:+.3f}, cell-1 exit not yet confirmed ({sma})"
    if state.trend_state == "BearStrong":
        return f"T_norm {t:+.3f} < {bear:+.3f} and {sma}"
    if t < bear and not up and state.vol_crush:
        return f"T_norm {t:+.3f} < {bear:+.3f} and {sma}, but a vol-crush turns BearStrong into Sideways"
    if t > bull and not up:
        return f"T_norm {t:+.3f} > {bull:+.3f} but {sma}: no structural confirmation"
    if t < bear and up:
        return f"T_norm {t:+.3f} < {bear:+.3f} but {sma}: no structural confirmation"
    return f"T_norm {t:+.3f} between {bear:+.3f} and {bull:+.3f} ({sma})"


def _vol_why(state, th: dict[str, Any]) -> str:
    z, upper, lower = state.z_score, th.get("upper_thresh_z"), th.get("lower_thresh_z")
    if state.vol_crush:
        return "vol-crush: volatility fell faster than the crush threshold, Low is forced"
    if z is None or upper is None or lower is None:
        return "z-score or thresholds not recorded"
    if z > upper:
        return f"z {z:+.2f} > upper {upper:+.2f}"
    if z < lower:
        return f"z {z:+.2f} < lower {lower:+.2f}"
    return f"z {z:+.2f} between {lower:+.2f} and {upper:+.2f}: the previous session's state is kept (hysteresis)"


def decision_tree(state, thresholds: dict[str, Any]) -> dict[str, Any] | None:
    """The tree of one ``RegimeState``: each level's branches (the chosen one marked) and why it was chosen.

    ``thresholds`` are the strategy's :func:`trading.indicators.regime_thresholds`. ``None`` when the row has
    no cell (a strategy without a regime, or still warming up).
    """
    if state is None or state.strategy_cell is None or state.trend_state not in TRENDS:
        return None
    weights = sorted(((s, float(w)) for s, w in (state.target_weights or {}).items() if w), key=lambda x: -x[1])
    cell = state.strategy_cell
    return {
        "trading_date": state.trading_date,
        "trend": {
            "chosen": state.trend_state,
            "branches": [{"name": t, "chosen": t == state.trend_state} for t in TRENDS],
            "why": _trend_why(state, thresholds),
            "values": {
                "T_norm": _num(state.t_norm, 3),
                "SMA fast": "—" if state.sma_fast is None else f"{state.sma_fast:.2f}",
                "SMA slow": "—" if state.sma_slow is None else f"{state.sma_slow:.2f}",
            },
        },
        "vol": {
            "chosen": state.vol_state,
            "branches": [{"name": v, "chosen": v == state.vol_state} for v in VOL_STATES],
            "why": _vol_why(state, thresholds),
            "values": {"z-score": _num(state.z_score, 2), "vol-crush": "yes" if state.vol_crush else "no"},
        },
        "cell": {
            "chosen": cell,
            "name": CELL_NAMES.get(cell, ""),
            "why": f"{state.trend_state} × {state.vol_state} vol → cell {cell}",
        },
        "allocation": {
            "weights": weights,
            "rebalance": state.rebalance,
            "bond_trend": state.bond_trend or None,
            "why": ("rebalanced to these targets" if state.rebalance else "held: drift within the threshold")
            + (f"; bond trend {state.bond_trend}" if state.bond_trend and cell in (4, 5, 6) else ""),
        },
    }
