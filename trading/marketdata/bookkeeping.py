"""Bookkeeping shared by the market-data services: audit rows, coverage rows, live events."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Max, Min, Q

from trading.marketdata.validation import Jump, Repair, bar_label
from trading.models import AuditOperation, AuditOutcome, DataAuditLog, DataMetadata, MarketData


def correction_row(repair: Repair, *, base: dict, user, actor: str, now: datetime) -> DataAuditLog:
    """The audit row of an automatic OHLC repair (unsaved: written with its batch)."""
    return DataAuditLog(
        **base,
        operation=AuditOperation.CORRECTION,
        outcome=AuditOutcome.SUCCESS,
        bar_timestamp=repair.timestamp,
        repaired=1,
        message=repair.message,
        details={"reason": repair.reason, "original": repair.original, "repaired": repair.repaired},
        user=user,
        actor=actor,
        created_at=now,
    )


def jump_flag_row(jump: Jump, *, timeframe: str, base: dict, user, actor: str, now: datetime) -> DataAuditLog:
    """The audit row of a suspicious jump (unsaved)."""
    return DataAuditLog(
        **base,
        operation=AuditOperation.FLAG,
        outcome=AuditOutcome.SUCCESS,
        bar_timestamp=jump.timestamp,
        flagged=1,
        message=f"suspicious {jump.kind} on {bar_label(jump.timestamp, timeframe)}: {jump.reason}",
        details={
            "kind": jump.kind,
            "reason": jump.reason,
            "previous_timestamp": jump.previous_timestamp.isoformat(),
            "previous_close": str(jump.previous_close),
            "close": str(jump.close),
        },
        user=user,
        actor=actor,
        created_at=now,
    )


def audit_failure(
    *,
    operation: str,
    symbol: str,
    timeframe: str,
    data_source: str,
    file: str = "",
    message: str,
    user=None,
    actor: str = "",
    counts: dict[str, int] | None = None,
    details: dict | None = None,
) -> DataAuditLog:
    """Record an operation that could not run or stopped part-way."""
    return DataAuditLog.objects.create(
        operation=operation,
        outcome=AuditOutcome.FAILED,
        symbol=symbol,
        timeframe=timeframe,
        data_source=data_source,
        file=file[:500],
        message=message,
        details=details or {},
        user=user,
        actor=actor,
        **(counts or {}),
    )


def data_metadata_refresh(
    *, symbol: str, timeframe: str, source: str | None = None, synced_at: datetime | None = None
) -> DataMetadata | None:
    """Recompute the coverage row of (symbol, timeframe) from the bars themselves; ``source`` and
    ``synced_at`` are recorded when given (an import or sync ran)."""
    stats = MarketData.objects.filter(symbol=symbol, timeframe=timeframe).aggregate(
        first=Min("timestamp", filter=Q(is_valid=True)),
        last=Max("timestamp", filter=Q(is_valid=True)),
        total=Count("id"),
        valid=Count("id", filter=Q(is_valid=True)),
    )
    values = {
        "first_bar_at": stats["first"],
        "last_bar_at": stats["last"],
        "bar_count": stats["total"],
        "valid_bar_count": stats["valid"],
    }
    if source is not None:
        values["last_source"] = source
    if synced_at is not None:
        values["last_sync_at"] = synced_at
    if not stats["total"] and not DataMetadata.objects.filter(symbol=symbol, timeframe=timeframe).exists():
        return None  # no coverage row for a series that never held a bar (e.g. an unknown symbol)
    metadata, _ = DataMetadata.objects.update_or_create(symbol=symbol, timeframe=timeframe, defaults=values)
    return metadata


def publish_data_refresh(
    *, operation: str, symbol: str, timeframe: str, source: str, inserted: int, last_bar_at: datetime | None
) -> None:
    """Tell open dashboards that new bars arrived (sent after the surrounding transaction commits)."""
    from jutsu.events import publish

    publish(
        "data_refresh",
        {
            "refresh_type": "manual",
            "operation": operation,
            "symbol": symbol,
            "timeframe": timeframe,
            "source": source,
            "inserted": inserted,
            "date": bar_label(last_bar_at, timeframe) if last_bar_at else None,
        },
    )
