"""Storing bars: validate, de-duplicate, write in transactional batches, flag jumps, audit.

``market_data_store_bars`` is the one write path for bars from any source (CSV import, Yahoo/Schwab
sync, the synthetic generator); ``market_data_import_file`` reads a CSV file and calls it.

Guarantees:

* a bar whose (symbol, timeframe, timestamp) is already stored is skipped, never overwritten — a
  re-import changes nothing and says so (stored values that differ are counted as ``conflicts``);
* every batch of ``BATCH_SIZE`` bars is written in one transaction together with its correction
  audit rows, so a crash never leaves a half-written batch (earlier batches stay; re-running the
  import completes the rest);
* every run leaves one ``DataAuditLog`` row (``failed`` when it crashed), plus one ``correction``
  row per repaired bar and one ``flag`` row per suspicious jump among the new bars.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from jutsu.errors import InvalidParameter, JutsuError
from trading.marketdata.bookkeeping import (
    audit_failure,
    correction_row,
    data_metadata_refresh,
    jump_flag_row,
    publish_data_refresh,
)
from trading.marketdata.validation import Bar, Rejection, Repair, bar_label, detect_jumps, validate_bars
from trading.models import AuditOperation, AuditOutcome, DataAuditLog, DataSource, MarketData, Timeframe
from trading.sources.base import DAILY, RawBar
from trading.sources.csv_file import read_csv_bars

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
#: how many messages of each kind an audit row keeps in ``details`` (counts are always complete).
DETAIL_LIMIT = 200
SYMBOL_PATTERN = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,9}$")


@dataclass(slots=True)
class StoreSummary:
    """What one import/sync/generate run did to one (symbol, timeframe)."""

    symbol: str
    timeframe: str
    data_source: str
    file: str = ""
    received: int = 0
    inserted: int = 0
    skipped_duplicate: int = 0
    conflicts: int = 0
    repaired: int = 0
    rejected: int = 0
    flagged: int = 0
    ignored_unfinished: int = 0
    rejections: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    first_inserted_at: datetime | None = None
    last_inserted_at: datetime | None = None
    audit_id: int | None = None

    @property
    def outcome(self) -> str:
        if self.rejected:
            return AuditOutcome.PARTIAL
        return AuditOutcome.SUCCESS if self.inserted else AuditOutcome.NO_CHANGE

    def line(self) -> str:
        """The one-line summary commands print."""
        origin = f" from {Path(self.file).name}" if self.file else f" from {self.data_source}"
        text = (
            f"{self.symbol} {self.timeframe}{origin}: {self.inserted} inserted, "
            f"{self.skipped_duplicate} skipped (duplicate), {self.repaired} repaired, "
            f"{self.rejected} rejected, {self.flagged} flagged"
        )
        if self.ignored_unfinished:
            text += f", {self.ignored_unfinished} ignored (session not finished)"
        if self.conflicts:
            text += f" ({self.conflicts} duplicates differ from the stored bars; stored values kept)"
        if not self.inserted and self.skipped_duplicate:
            text += " — nothing new, already stored"
        return text


def normalise_symbol(symbol: str) -> str:
    """Upper-case and check a ticker; raises ``InvalidParameter`` naming the bad value."""
    cleaned = (symbol or "").strip().upper()
    if not SYMBOL_PATTERN.match(cleaned):
        raise InvalidParameter(
            f"invalid symbol {symbol!r}: use 1–10 characters A–Z, 0–9, '.', '-', '=' (optionally a leading '^')"
        )
    return cleaned


def choice_check(value: str, choices: type, label: str) -> str:
    """``value`` when it is one of ``choices`` (a ``TextChoices``); otherwise ``InvalidParameter`` listing them."""
    if value not in choices.values:
        raise InvalidParameter(f"unknown {label} {value!r}; choose one of {', '.join(choices.values)}")
    return value


# ── public services ────────────────────────────────────────────────────────────────────────────────


def market_data_import_file(
    *,
    path: Path | str,
    symbol: str | None = None,
    timeframe: str = DAILY,
    data_source: str = DataSource.CSV,
    user=None,
    actor: str = "",
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> StoreSummary:
    """Import one CSV file (layout auto-detected). ``symbol`` defaults to the file stem, upper-cased.

    Raises ``DataMissing`` / ``InvalidParameter`` when the file cannot be used at all (missing,
    unreadable, unknown header) — audited as a failed import; bad rows are rejected and reported.
    """
    path = Path(path)
    symbol = normalise_symbol(symbol or path.stem)
    choice_check(timeframe, Timeframe, "timeframe")
    choice_check(data_source, DataSource, "data source")
    try:
        parsed = read_csv_bars(path)
    except JutsuError as exc:
        audit_failure(
            operation=AuditOperation.IMPORT, symbol=symbol, timeframe=timeframe, data_source=data_source,
            file=str(path), message=str(exc), user=user, actor=actor,
        )  # fmt: skip
        raise
    layout_rejections = [Rejection(where, "", reason) for where, reason in parsed.rejections]
    return market_data_store_bars(
        symbol=symbol,
        timeframe=timeframe,
        data_source=data_source,
        raw_bars=parsed.bars,
        operation=AuditOperation.IMPORT,
        file=str(path),
        user=user,
        actor=actor,
        now=now,
        batch_size=batch_size,
        extra_rejections=layout_rejections,
        details={"layout": parsed.layout.name},
    )


def market_data_store_bars(
    *,
    symbol: str,
    timeframe: str,
    data_source: str,
    raw_bars: Iterable[RawBar],
    operation: str = AuditOperation.IMPORT,
    file: str = "",
    user=None,
    actor: str = "",
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    extra_rejections: Sequence[Rejection] = (),
    details: dict | None = None,
    accept_until: datetime | None = None,
) -> StoreSummary:
    """Validate ``raw_bars`` and store the new ones (see the module docstring for the guarantees).

    ``accept_until``: bars stamped later are ignored, not stored (a sync passes the last completed
    session so that a vendor's still-forming bar of today never gets stored as final).
    """
    symbol = normalise_symbol(symbol)
    choice_check(timeframe, Timeframe, "timeframe")
    choice_check(data_source, DataSource, "data source")
    now = now or timezone.now()
    try:
        _check_not_mixing(symbol, timeframe, data_source)
    except InvalidParameter as exc:
        audit_failure(
            operation=operation, symbol=symbol, timeframe=timeframe, data_source=data_source, file=file,
            message=str(exc), user=user, actor=actor,
        )  # fmt: skip
        raise
    raw_bars = list(raw_bars)
    checked = validate_bars(raw_bars, timeframe=timeframe, now=now)
    ignored = 0
    if accept_until is not None:
        kept = [bar for bar in checked.bars if bar.timestamp <= accept_until]
        ignored = len(checked.bars) - len(kept)
        checked.bars = kept
    rejections = [*extra_rejections, *checked.rejections]
    summary = StoreSummary(
        symbol=symbol,
        timeframe=timeframe,
        data_source=data_source,
        file=file,
        received=len(raw_bars) + len(extra_rejections),
        rejected=len(rejections),
        rejections=[rejection.message for rejection in rejections],
        ignored_unfinished=ignored,
    )
    audit_base = {"symbol": symbol, "timeframe": timeframe, "data_source": data_source, "file": file[:500]}
    inserted_at: set[datetime] = set()
    try:
        for start in range(0, len(checked.bars), batch_size):
            batch = checked.bars[start : start + batch_size]
            _write_batch(batch, checked.repairs, summary, inserted_at, audit_base, user, actor, now)
        if inserted_at:
            _flag_jumps(summary, inserted_at, audit_base, user, actor, now)
    except Exception as exc:
        message = f"{operation} of {symbol} {timeframe} stopped after {summary.inserted} bars: {exc}"
        try:
            audit_failure(
                operation=operation, symbol=symbol, timeframe=timeframe, data_source=data_source, file=file,
                message=message, user=user, actor=actor, counts=_counts(summary), details=_summary_details(summary),
            )  # fmt: skip
        except DatabaseError:  # the caller's transaction is broken; the original error matters more
            logger.exception("could not record the failed %s of %s in the audit log", operation, symbol)
        raise
    if inserted_at:
        summary.first_inserted_at, summary.last_inserted_at = min(inserted_at), max(inserted_at)
    data_metadata_refresh(symbol=symbol, timeframe=timeframe, source=data_source, synced_at=now)
    audit = DataAuditLog.objects.create(
        **audit_base,
        operation=operation,
        outcome=summary.outcome,
        message=summary.line(),
        details={**(details or {}), **_summary_details(summary)},
        user=user,
        actor=actor,
        **_counts(summary),
    )
    summary.audit_id = audit.pk
    if summary.inserted:
        publish_data_refresh(
            operation=operation,
            symbol=symbol,
            timeframe=timeframe,
            source=data_source,
            inserted=summary.inserted,
            last_bar_at=summary.last_inserted_at,
        )
    return summary


# ── helpers ────────────────────────────────────────────────────────────────────────────────────────


def _check_not_mixing(symbol: str, timeframe: str, data_source: str) -> None:
    """Synthetic and real bars never share a series: a backtest must not silently run on both."""
    bars = MarketData.objects.filter(symbol=symbol, timeframe=timeframe)
    if data_source == DataSource.SYNTHETIC:
        if bars.exclude(data_source=DataSource.SYNTHETIC).exists():
            raise InvalidParameter(
                f"{symbol} {timeframe} already holds real bars; synthetic bars are never mixed with them"
            )
    elif bars.filter(data_source=DataSource.SYNTHETIC).exists():
        raise InvalidParameter(
            f"{symbol} {timeframe} holds synthetic demo bars; remove them first "
            f"(manage.py generate_demo_data --remove --symbols {symbol}) before storing real {data_source} bars"
        )


def _counts(summary: StoreSummary) -> dict[str, int]:
    return {
        "inserted": summary.inserted,
        "skipped_duplicate": summary.skipped_duplicate,
        "repaired": summary.repaired,
        "rejected": summary.rejected,
        "flagged": summary.flagged,
    }


def _summary_details(summary: StoreSummary) -> dict:
    def capped(items: list[str]) -> list[str]:
        extra = len(items) - DETAIL_LIMIT
        return items[:DETAIL_LIMIT] + ([f"… and {extra} more"] if extra > 0 else [])

    return {
        "received": summary.received,
        "conflicts": summary.conflicts,
        "ignored_unfinished": summary.ignored_unfinished,
        "rejections": capped(summary.rejections),
        "repairs": capped(summary.repairs),
        "flags": capped(summary.flags),
        "first_inserted_at": summary.first_inserted_at.isoformat() if summary.first_inserted_at else None,
        "last_inserted_at": summary.last_inserted_at.isoformat() if summary.last_inserted_at else None,
    }


def _write_batch(
    batch: list[Bar],
    repairs: dict[datetime, Repair],
    summary: StoreSummary,
    inserted_at: set[datetime],
    audit_base: dict,
    user,
    actor: str,
    now: datetime,
) -> None:
    """Insert the new bars of one batch and their correction rows, all or nothing."""
    key = {"symbol": summary.symbol, "timeframe": summary.timeframe}
    with transaction.atomic():
        stored = {
            row[0]: row[1:]
            for row in MarketData.objects.filter(
                **key, timestamp__gte=batch[0].timestamp, timestamp__lte=batch[-1].timestamp
            ).values_list("timestamp", "open", "high", "low", "close", "volume")
        }
        new = [bar for bar in batch if bar.timestamp not in stored]
        duplicates = [bar for bar in batch if bar.timestamp in stored]
        conflicts = sum(
            1 for bar in duplicates if stored[bar.timestamp] != (bar.open, bar.high, bar.low, bar.close, bar.volume)
        )
        # ignore_conflicts: a concurrent import of the same bars must not fail this batch.
        MarketData.objects.bulk_create(
            [
                MarketData(
                    **key,
                    timestamp=bar.timestamp,
                    open=bar.open,
                    high=bar.high,
                    low=bar.low,
                    close=bar.close,
                    volume=bar.volume,
                    data_source=summary.data_source,
                    created_at=now,
                )
                for bar in new
            ],
            ignore_conflicts=True,
        )
        corrections = [repairs[bar.timestamp] for bar in new if bar.timestamp in repairs]
        DataAuditLog.objects.bulk_create(
            [correction_row(repair, base=audit_base, user=user, actor=actor, now=now) for repair in corrections]
        )
    summary.inserted += len(new)
    summary.skipped_duplicate += len(duplicates)
    summary.conflicts += conflicts
    summary.repaired += len(corrections)
    summary.repairs.extend(repair.message for repair in corrections)
    inserted_at.update(bar.timestamp for bar in new)


def _flag_jumps(
    summary: StoreSummary, inserted_at: set[datetime], audit_base: dict, user, actor: str, now: datetime
) -> None:
    """Audit suspicious moves between each new bar and its stored neighbours (bars stay valid)."""
    key = {"symbol": summary.symbol, "timeframe": summary.timeframe, "is_valid": True}
    first, last = min(inserted_at), max(inserted_at)
    before = (
        MarketData.objects.filter(**key, timestamp__lt=first).order_by("-timestamp").values_list("timestamp", "close")
    )[:1]
    after = (
        MarketData.objects.filter(**key, timestamp__gt=last).order_by("timestamp").values_list("timestamp", "close")
    )[:1]
    window = MarketData.objects.filter(**key, timestamp__gte=first, timestamp__lte=last).order_by("timestamp")
    closes = [*before, *window.values_list("timestamp", "close"), *after]
    jumps = detect_jumps(closes, symbol=summary.symbol, only=inserted_at)
    if not jumps:
        return
    rows = [
        jump_flag_row(jump, timeframe=summary.timeframe, base=audit_base, user=user, actor=actor, now=now)
        for jump in jumps
    ]
    DataAuditLog.objects.bulk_create(rows)
    summary.flagged += len(jumps)
    summary.flags.extend(
        f"{summary.symbol} {bar_label(jump.timestamp, summary.timeframe)}: {jump.reason}" for jump in jumps
    )
