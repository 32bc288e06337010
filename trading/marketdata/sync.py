"""Bringing bars in from remote sources (sync) and from the synthetic generator (demo data).

Both end in ``market_data_store_bars``, so the validation, de-duplication, batching and audit rules
are the same as for a CSV import. No source is called inside a transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from jutsu.errors import InvalidParameter
from trading.marketdata.bookkeeping import audit_failure, data_metadata_refresh
from trading.marketdata.importing import StoreSummary, choice_check, market_data_store_bars, normalise_symbol
from trading.marketdata.validation import midnight_utc
from trading.models import AuditOperation, AuditOutcome, DataAuditLog, DataMetadata, DataSource, MarketData, Timeframe
from trading.sources.base import DAILY, SourceUnavailable
from trading.sources.registry import FetchResult, fetch_with_fallback, get_source
from trading.sources.synthetic import SYNTHETIC_SYMBOLS, generate_synthetic_bars
from trading.sources.synthetic_source import DEFAULT_ANCHOR, DEFAULT_SEED, frame_to_raw_bars

logger = logging.getLogger(__name__)

AUTO = "auto"
SYNC_SOURCES = (AUTO, DataSource.YAHOO, DataSource.SCHWAB, DataSource.SYNTHETIC)
DEFAULT_HISTORY_DAYS = 3653  # first sync of a symbol without --start: about ten years
#: a session's daily bar counts as final this long after the closing bell.
SETTLE_MINUTES = 5
BAR_MINUTES = {"1H": 60, "15m": 15, "5m": 5}
DEMO_SYMBOLS = ("QQQ", "TQQQ", "PSQ", "SQQQ", "TLT", "TMF", "TMV")


def last_completed_session(now: datetime) -> date:
    """The latest NYSE session whose daily bar is final: close plus ``SETTLE_MINUTES`` at or before ``now``."""
    from jutsu.scheduler.calendar import last_closed_session

    return last_closed_session(now, settle_minutes=SETTLE_MINUTES)


# ── sync ───────────────────────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class SyncResult:
    symbol: str
    timeframe: str
    requested_source: str
    start: date
    end: date
    source: str = ""
    summary: StoreSummary | None = None
    error: str = ""
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error

    def line(self) -> str:
        if self.error:
            return f"{self.symbol} {self.timeframe}: FAILED — {self.error}"
        if self.summary is None:
            return f"{self.symbol} {self.timeframe}: already up to date (last completed session {self.end})"
        fallback = f" (fell back: {'; '.join(self.failures)})" if self.failures else ""
        return f"{self.summary.line()} [{self.start} … {self.end}]{fallback}"


def market_data_sync(
    *,
    symbols: list[str],
    source: str = AUTO,
    timeframe: str = DAILY,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
    user=None,
    actor: str = "",
) -> list[SyncResult]:
    """Fetch new bars for each symbol and store them; one result (and audit row) per symbol.

    Without ``start`` a symbol continues from its last stored bar (``DataMetadata``), or starts ten
    years back. ``end`` defaults to the last completed session; bars of a session that has not
    closed yet are ignored. ``source="auto"`` uses ``data.primary_source`` with
    ``data.fallback_source`` when the primary is unavailable. A source that cannot be reached
    fails that symbol (reported and audited), not the others.
    """
    if source not in SYNC_SOURCES:
        raise InvalidParameter(f"unknown sync source {source!r}; choose one of {', '.join(SYNC_SOURCES)}")
    choice_check(timeframe, Timeframe, "timeframe")
    if start and end and start > end:
        raise InvalidParameter(f"--start {start} is after --end {end}")
    now = now or timezone.now()
    cleaned = [normalise_symbol(symbol) for symbol in symbols]
    if not cleaned:
        raise InvalidParameter("give at least one symbol to sync")
    return [_sync_one(symbol, source, timeframe, start, end, now, user, actor) for symbol in cleaned]


def _sync_range(symbol: str, timeframe: str, start: date | None, end: date | None, now: datetime):
    from jutsu.scheduler.calendar import market_date

    last_done = last_completed_session(now) if timeframe == DAILY else market_date(now)
    end = min(end, last_done) if end else last_done
    if start is None:
        metadata = DataMetadata.objects.filter(symbol=symbol, timeframe=timeframe).first()
        if metadata and metadata.last_bar_at:
            last = metadata.last_bar_at.date() if timeframe == DAILY else market_date(metadata.last_bar_at)
            # intraday: re-fetch the last day, its later bars may be missing; duplicates are skipped
            start = last + timedelta(days=1) if timeframe == DAILY else last
        else:
            start = end - timedelta(days=DEFAULT_HISTORY_DAYS)
    # a daily bar is final once its session closed; an intraday bar once its interval ended
    last_final = midnight_utc(end) if timeframe == DAILY else now - timedelta(minutes=BAR_MINUTES[timeframe])
    return start, end, last_final


def _has_sessions(start: date, end: date) -> bool:
    from jutsu.scheduler.calendar import trading_days

    return start <= end and bool(trading_days(start, end))


def _sync_one(symbol, source, timeframe, start, end, now, user, actor) -> SyncResult:
    start, end, accept_until = _sync_range(symbol, timeframe, start, end, now)
    result = SyncResult(symbol, timeframe, source, start, end)
    details = {"requested_source": source, "start": start.isoformat(), "end": end.isoformat()}
    if not _has_sessions(start, end):
        DataAuditLog.objects.create(
            operation=AuditOperation.SYNC,
            outcome=AuditOutcome.NO_CHANGE,
            symbol=symbol,
            timeframe=timeframe,
            message=result.line(),
            details=details,
            user=user,
            actor=actor,
        )
        return result
    try:
        fetched = _fetch(symbol, source, timeframe, start, end)
    except (SourceUnavailable, InvalidParameter) as exc:
        result.error = str(exc)
        audit_failure(
            operation=AuditOperation.SYNC,
            symbol=symbol,
            timeframe=timeframe,
            data_source="" if source == AUTO else source,
            message=str(exc),
            user=user,
            actor=actor,
        )
        return result
    result.source, result.failures = fetched.source, fetched.failures
    try:
        result.summary = market_data_store_bars(
            symbol=symbol,
            timeframe=timeframe,
            data_source=fetched.source,
            raw_bars=fetched.bars,
            operation=AuditOperation.SYNC,
            user=user,
            actor=actor,
            now=now,
            accept_until=accept_until,
            details={**details, "fallback_failures": fetched.failures},
        )
    except InvalidParameter as exc:  # e.g. real bars offered to a synthetic series (audited by the service)
        result.error = str(exc)
    return result


def _fetch(symbol: str, source: str, timeframe: str, start: date, end: date) -> FetchResult:
    if source == AUTO:
        return fetch_with_fallback(symbol, timeframe, start, end)
    return FetchResult(bars=get_source(source).fetch_bars(symbol, timeframe, start, end), source=source)


# ── synthetic demo data ────────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class DemoResult:
    symbol: str
    summary: StoreSummary | None = None
    skipped: str = ""

    def line(self) -> str:
        return self.summary.line() if self.summary else f"{self.symbol} 1D: skipped — {self.skipped}"


def market_data_generate_demo(
    *,
    symbols: list[str] | tuple[str, ...] = DEMO_SYMBOLS,
    start: date | None = None,
    end: date | None = None,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    user=None,
    actor: str = "",
) -> list[DemoResult]:
    """Store synthetic daily bars (``data_source="synthetic"``) for the demo symbols; idempotent.

    The synthetic path of a symbol is anchored at its first stored synthetic bar (or at ``start``,
    default ``DEFAULT_ANCHOR``), so running again — even with a later ``end`` — only appends bars
    that join the stored ones. A symbol that already holds bars from another source (imported or
    synced real data) is skipped rather than mixed with synthetic prices. ``end`` defaults to the
    last completed session.
    """
    now = now or timezone.now()
    end = end or last_completed_session(now)
    start = start or DEFAULT_ANCHOR
    if start > end:
        raise InvalidParameter(f"--start {start} is after --end {end}")
    wanted = [normalise_symbol(symbol) for symbol in symbols]
    unknown = [symbol for symbol in wanted if symbol not in SYNTHETIC_SYMBOLS]
    if unknown:
        raise InvalidParameter(
            f"no synthetic model for {', '.join(unknown)}; available: {', '.join(SYNTHETIC_SYMBOLS)}"
        )
    anchors = {symbol: _demo_anchor(symbol, start, seed) for symbol in wanted}
    results: list[DemoResult] = []
    for symbol in wanted:
        anchor, reason = anchors[symbol]
        if reason:
            results.append(DemoResult(symbol, skipped=reason))
            continue
        frame = generate_synthetic_bars([symbol], anchor, end, seed=seed)[symbol]
        summary = market_data_store_bars(
            symbol=symbol,
            timeframe=DAILY,
            data_source=DataSource.SYNTHETIC,
            raw_bars=frame_to_raw_bars(frame, symbol, start=start, end=end),
            operation=AuditOperation.GENERATE,
            user=user,
            actor=actor,
            now=now,
            details={"seed": seed, "anchor": anchor.isoformat(), "start": start.isoformat(), "end": end.isoformat()},
        )
        results.append(DemoResult(symbol, summary=summary))
    return results


def _demo_anchor(symbol: str, start: date, seed: int) -> tuple[date, str]:
    """(anchor date, reason to skip or '')."""
    bars = MarketData.objects.filter(symbol=symbol, timeframe=DAILY)
    other = bars.exclude(data_source=DataSource.SYNTHETIC).values_list("data_source", flat=True).first()
    if other:
        return start, f"already holds {other} bars; synthetic prices are never mixed with real ones"
    first = bars.order_by("timestamp").values_list("timestamp", flat=True).first()
    if first is None:
        return start, ""
    previous = (
        DataAuditLog.objects.filter(operation=AuditOperation.GENERATE, symbol=symbol, details__has_key="seed")
        .exclude(outcome=AuditOutcome.FAILED)
        .values_list("details", flat=True)
        .first()
    )
    if previous and previous.get("seed") != seed:
        return start, f"its synthetic bars were generated with --seed {previous['seed']}; use the same seed"
    anchor = first.date()
    if start < anchor:
        return anchor, (
            f"synthetic bars start at {anchor}; a path from {start} would not join them (use --start {anchor} or later)"
        )
    return anchor, ""


def market_data_remove_synthetic(*, symbols: list[str] | tuple[str, ...], user=None, actor: str = "") -> dict[str, int]:
    """Delete the synthetic bars of ``symbols`` (all timeframes) so real data can be stored.

    Only ``data_source="synthetic"`` bars are touched — generated demo prices, not market data, so
    the append-only rule for real bars is kept. Each symbol gets an audit row with the count.
    """
    removed: dict[str, int] = {}
    for symbol in [normalise_symbol(symbol) for symbol in symbols]:
        with transaction.atomic():
            bars = MarketData.objects.filter(symbol=symbol, data_source=DataSource.SYNTHETIC)
            timeframes = set(bars.values_list("timeframe", flat=True).distinct())
            count, _ = bars.delete()
            for timeframe in timeframes:
                data_metadata_refresh(symbol=symbol, timeframe=timeframe)
            DataAuditLog.objects.create(
                operation=AuditOperation.REMOVE_SYNTHETIC,
                outcome=AuditOutcome.SUCCESS if count else AuditOutcome.NO_CHANGE,
                symbol=symbol,
                data_source=DataSource.SYNTHETIC,
                message=f"{symbol}: {count} synthetic bars removed",
                details={"removed": count, "timeframes": sorted(timeframes)},
                user=user,
                actor=actor,
            )
        removed[symbol] = count
    return removed
