"""Writing and trimming performance snapshots (the point-in-time input of the EOD job)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from jutsu.errors import InvalidParameter
from performance.models import PerformanceSnapshot, SnapshotSource
from performance.selectors import mode_validate
from performance.services.kpis import money, regime_from


def performance_snapshot_record(
    *,
    strategy_id: str,
    mode: str,
    source: str,
    total_equity: Decimal,
    cash: Decimal,
    positions_value: Decimal,
    positions: dict[str, Any] | None = None,
    regime: dict[str, Any] | None = None,
    timestamp: datetime | None = None,
) -> PerformanceSnapshot:
    """Store one point-in-time equity of a strategy (trading job, refreshes, manual).

    ``regime`` (cell, trend_state, vol_state, t_norm, z_score, sma_fast, sma_slow) is written only by the
    trading job (ADR-04): refresh snapshots must not pass one. ``timestamp`` is aware (default now).
    """
    mode_validate(mode)
    if source not in SnapshotSource.values:
        raise InvalidParameter(f"source: {source!r} is not one of {', '.join(SnapshotSource.values)}")
    if regime and source != SnapshotSource.TRADING_JOB:
        raise InvalidParameter("regime: only the trading job records the regime (ADR-04); refreshes record equity")
    moment = timestamp or timezone.now()
    if timezone.is_naive(moment):
        raise InvalidParameter("timestamp: must be timezone-aware")
    snapshot = PerformanceSnapshot(
        strategy_id=strategy_id,
        mode=mode,
        source=source,
        timestamp=moment,
        total_equity=money(total_equity),
        cash=money(cash),
        positions_value=money(positions_value),
        positions=positions or {},
        **regime_from(regime or {}),
    )
    snapshot.full_clean()
    snapshot.save()
    return snapshot


def performance_snapshots_trim(*, before: datetime) -> int:
    """Delete snapshots older than ``before`` (retention); returns how many went."""
    deleted, _ = PerformanceSnapshot.objects.filter(timestamp__lt=before).delete()
    return deleted


def performance_snapshot_observed(observation) -> PerformanceSnapshot:
    """Equity listener (``trading.equity``): store a ``trading.equity.EquityObservation`` as a snapshot."""
    return performance_snapshot_record(
        strategy_id=observation.strategy_id,
        mode=observation.mode,
        source=observation.source,
        total_equity=observation.total_equity,
        cash=observation.cash,
        positions_value=observation.positions_value,
        positions=observation.positions,
        regime=observation.regime,
        timestamp=observation.timestamp,
    )
