"""Regime state — written only by the trading job (ADR-04) — and the ``regime_change`` it announces.

One ``RegimeState`` row per strategy, mode and trading day with the decision's cell, trend, volatility state,
T_norm, z, SMAs, bond fields, indicators, target weights and reason. When the cell differs from the strategy's
previous row, a ``regime_change`` event and a notification follow the commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction

from trading.events import regime_change_publish
from trading.models import RegimeState
from trading.notify import notify_regime_change
from trading.selectors import regime_state_latest


def json_safe(value: Any) -> Any:
    """``value`` with NaN/infinity as ``None`` (JSON columns refuse them) and dates as ISO text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _number(value: Any) -> float | None:
    return json_safe(float(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class RegimeRecord:
    """The day's row, the previous day's (``None`` on the first day) and whether the cell changed."""

    state: RegimeState
    previous: RegimeState | None

    @property
    def cell_changed(self) -> bool:
        return self.previous is not None and self.previous.strategy_cell != self.state.strategy_cell

    @property
    def is_new_signal(self) -> bool:
        """First decision or a new cell: trades are a "Signal Change", otherwise a "Rebalance"."""
        return self.previous is None or self.cell_changed


def _summary(row: RegimeState | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"cell": row.strategy_cell, "trend_state": row.trend_state, "vol_state": row.vol_state}


def regime_state_record(
    *,
    strategy_id: str,
    mode: str,
    trading_date: date,
    regime: dict[str, Any] | None,
    context: dict[str, Any],
    rebalance: bool,
    decided_at: datetime,
) -> RegimeRecord:
    """Store (or replace) the day's regime row from a decision's ``regime`` row and ``context``."""
    regime = regime or {}
    indicators = json_safe(context.get("indicators") or {})
    values = {
        "strategy_cell": regime.get("cell", context.get("cell")),
        "trend_state": regime.get("trend_state") or context.get("trend_state") or "",
        "vol_state": regime.get("vol_state") or context.get("vol_state") or "",
        "t_norm": _number(regime.get("t_norm", indicators.get("t_norm"))),
        "z_score": _number(regime.get("z_score", indicators.get("z_score"))),
        "sma_fast": _number(regime.get("sma_fast", indicators.get("sma_fast"))),
        "sma_slow": _number(regime.get("sma_slow", indicators.get("sma_slow"))),
        "bond_sma_fast": _number(regime.get("bond_sma_fast")),
        "bond_sma_slow": _number(regime.get("bond_sma_slow")),
        "bond_trend": regime.get("bond_trend") or "",
        "vol_crush": regime.get("vol_crush"),
        "indicators": indicators,
        "target_weights": json_safe(regime.get("target_weights") or context.get("target_weights") or {}),
        "rebalance": rebalance,
        "reason": context.get("reason") or "",
        "decided_at": decided_at,
    }
    previous = regime_state_latest(strategy_id, mode, before=trading_date)
    with transaction.atomic():
        stored = RegimeState.objects.filter(strategy_id=strategy_id, mode=mode, trading_date=trading_date)
        announced = stored.filter(strategy_cell=values["strategy_cell"]).exists()  # a re-run of the same day
        state, _ = RegimeState.objects.update_or_create(
            strategy_id=strategy_id, mode=mode, trading_date=trading_date, defaults=values
        )
    record = RegimeRecord(state, previous)
    if record.cell_changed and not announced:
        old, new = _summary(previous), _summary(state)
        regime_change_publish(strategy_id=strategy_id, mode=mode, trading_date=trading_date, old=old, new=new)
        notify_regime_change(strategy_id=strategy_id, mode=mode, trading_date=trading_date, old=old, new=new)
    return record
