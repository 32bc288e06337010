"""End-of-day finalisation: one ``DailyPerformance`` row per entity and trading day, with recovery.

``eod_run(today)`` is what the scheduled jobs call: a **recovery phase** first — each of the last
``performance.eod_recovery_days`` trading days whose ``EODJobStatus`` is missing, ``failed``, ``partial`` or
stuck (``running`` for more than an hour), or ``completed`` while a row it should have is missing (rows
deleted under a completed status), is finalised again, oldest first — then ``today``.

``eod_finalize_date(day)`` finalises one date:

1. **Claim** the date's ``EODJobStatus`` with a conditional update (a date already running for less than an
   hour is refused with ``ConflictError``); the claim commits at once so others see it.
2. **Compute** in memory, each entity isolated: every active strategy, in every mode in which it has a snapshot
   that day or earlier rows (see :mod:`performance.services.days`); then each baseline symbol once per mode for
   the strategies that got a row. An entity that raises is recorded in ``errors`` and the others carry on.
   If the entity already has rows after ``day`` (a missed day recovered later, a re-run), their KPI chain is
   recomputed so history stays consistent.
3. **Write** in one transaction: the computed entities' rows for ``day`` are replaced (delete + insert), later
   rows updated, the status set to ``completed``, ``partial`` (some entity failed) or ``failed`` (all failed),
   and a ``data_refresh`` event (``refresh_type=eod_finalization``) is published after commit.

Re-running a date is idempotent: the same inputs give the same rows. The number of queries does not grow
with the number of strategies (a dozen for the whole date).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from jutsu.conf.resolver import resolve_value
from jutsu.errors import ConflictError
from jutsu.scheduler import calendar
from performance import events
from performance.models import DailyPerformance, EntityType, EODJobStatus, EODStatus, PerformanceSnapshot
from performance.selectors import (
    daily_performance_first_dates,
    daily_performance_from,
    daily_performance_keys_between,
    daily_performance_previous_rows,
    eod_statuses_between,
    snapshot_days_between,
    snapshots_between,
)
from performance.services.data_version import data_version_bump
from performance.services.days import (
    baseline_rows,
    day_bounds,
    in_execution_order,
    position_symbols,
    strategy_day_values,
    strategy_row,
)
from performance.services.inputs import closed_trade_pnls, closes_between
from performance.services.kpis import EntityKey, chain_recompute
from performance.services.rows import daily_rows_insert
from strategies.models import Strategy
from strategies.selectors import strategies_list

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(hours=1)
MAX_STORED_ERRORS = 20


@dataclass
class DayPlan:
    """What one date's finalisation computed (in memory, before writing)."""

    day: date
    rows: list[DailyPerformance] = field(default_factory=list)
    later: list[DailyPerformance] = field(default_factory=list)  # recomputed rows after ``day``
    replaced: list[EntityKey] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    strategies_total: int = 0
    strategies_processed: int = 0
    baselines_total: int = 0
    baselines_processed: int = 0

    def fail(self, key: EntityKey, exc: BaseException) -> None:
        logger.warning("EOD %s: %s %s/%s failed: %s", self.day, key.entity_type, key.entity_id, key.mode, exc)
        self.errors.append(
            {
                "entity_type": key.entity_type,
                "entity_id": key.entity_id,
                "mode": key.mode,
                "error": f"{type(exc).__name__}: {exc}"[:500],
            }
        )

    @property
    def status(self) -> str:
        if not self.errors:
            return EODStatus.COMPLETED
        if self.strategies_processed or self.baselines_processed:
            return EODStatus.PARTIAL
        return EODStatus.FAILED


@dataclass
class EodRunSummary:
    """The dates one EOD run finalised (recovered ones first) and their statuses."""

    today: date
    recovered: list[EODJobStatus] = field(default_factory=list)
    today_status: EODJobStatus | None = None
    conflicts: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> list[EODJobStatus]:
        return [*self.recovered, *([self.today_status] if self.today_status else [])]


# ── claiming a date ────────────────────────────────────────────────────────────────────────────────


def eod_status_claim(day: date, *, trigger: str, now: datetime | None = None) -> EODJobStatus:
    """Mark ``day`` as running (creating its status row if needed), unless it is running for < 1 h.

    A conditional update claims the row, so two processes can never both finalise the same date; the
    claim commits immediately (call outside a transaction). Raises :class:`ConflictError` when refused.
    """
    now = now or timezone.now()
    fresh = {
        "status": EODStatus.RUNNING,
        "started_at": now,
        "completed_at": None,
        "strategies_total": 0,
        "strategies_processed": 0,
        "baselines_total": 0,
        "baselines_processed": 0,
        "errors": [],
        "trigger": trigger[:40],
    }
    claimable = EODJobStatus.objects.filter(trading_date=day).filter(
        ~Q(status=EODStatus.RUNNING) | Q(started_at__lt=now - STUCK_AFTER)
    )
    if claimable.update(attempts=F("attempts") + 1, **fresh):
        return EODJobStatus.objects.get(trading_date=day)
    try:
        with transaction.atomic():
            return EODJobStatus.objects.create(trading_date=day, attempts=1, **fresh)
    except IntegrityError:
        running = EODJobStatus.objects.filter(trading_date=day).first()
        since = running.started_at.isoformat() if running else "?"
        raise ConflictError(
            f"EOD finalisation of {day.isoformat()} is already running (since {since}); "
            f"it counts as stuck and can be redone after {int(STUCK_AFTER.total_seconds() // 60)} minutes"
        ) from None


# ── one date ───────────────────────────────────────────────────────────────────────────────────────


def eod_finalize_date(day: date, *, trigger: str = "manual") -> EODJobStatus:
    """Finalise ``day`` (see the module docstring) and return its status row."""
    status = eod_status_claim(day, trigger=trigger)
    try:
        plan = eod_plan(day)
        with transaction.atomic():
            _write(plan, status)
    except Exception as exc:
        logger.exception("EOD finalisation of %s failed", day)
        EODJobStatus.objects.filter(pk=status.pk).update(
            status=EODStatus.FAILED,
            completed_at=timezone.now(),
            errors=[{"entity_type": "", "entity_id": "", "mode": "", "error": f"{type(exc).__name__}: {exc}"[:500]}],
        )
        raise
    return status


def eod_plan(day: date, *, finalized_at: datetime | None = None) -> DayPlan:
    """Compute every row of ``day`` in memory (a fixed number of queries; nothing is written)."""
    finalized_at = finalized_at or timezone.now()
    plan = DayPlan(day=day)
    strategies = {s.strategy_id: s for s in strategies_list(active_only=True)}
    if not strategies:
        return plan
    start_at, end_at = day_bounds(day)
    snapshots: dict[tuple[str, str], list[PerformanceSnapshot]] = defaultdict(list)
    for snap in snapshots_between(strategies, None, start_at, end_at):
        snapshots[(snap.strategy_id, snap.mode)].append(snap)
    symbols = {s.baseline_symbol.upper() for s in strategies.values() if s.baseline_symbol}
    entities = [(EntityType.STRATEGY, sid) for sid in strategies] + [(EntityType.BASELINE, sym) for sym in symbols]
    previous = daily_performance_previous_rows(entities, day)
    existing = daily_performance_from(entities, day)  # the day's current rows and any later ones

    pairs = set(snapshots) | {(k[1], k[2]) for k in previous if k[0] == EntityType.STRATEGY}
    pairs |= {
        (k[1], k[2]) for k, rows in existing.items() if k[0] == EntityType.STRATEGY and rows[0].trading_date == day
    }
    needed = set(symbols)
    for sid, mode in pairs:
        if not snapshots.get((sid, mode)):
            needed |= position_symbols(previous.get((EntityType.STRATEGY, sid, mode)))
    for rows in existing.values():
        needed |= {r.entity_id for r in rows if r.entity_type == EntityType.BASELINE}
    last_day = max([day, *(rows[-1].trading_date for rows in existing.values())])
    closes = closes_between(needed, day, last_day)
    trades = closed_trade_pnls(pairs, day, day)
    rate = resolve_value("performance.risk_free_rate")

    done: dict[str, list[Strategy]] = defaultdict(list)  # mode → strategies with a row today
    for sid, mode in in_execution_order(pairs, strategies):
        key = EntityKey(EntityType.STRATEGY, sid, mode)
        plan.strategies_total += 1
        try:
            built = _strategy_rows(
                key,
                strategies[sid],
                day,
                snapshots.get((sid, mode), []),
                previous,
                existing,
                closes,
                trades,
                finalized_at,
                rate,
            )
        except Exception as exc:  # isolation: one strategy's failure never stops the others
            plan.fail(key, exc)
            continue
        plan.strategies_processed += 1
        if built is None:
            continue
        row, later = built
        plan.rows.append(row)
        plan.later.extend(later)
        plan.replaced.append(key)
        done[mode].append(strategies[sid])

    for mode, sharing in sorted(done.items()):
        by_symbol: dict[str, list[Strategy]] = defaultdict(list)
        for strategy in sharing:
            if strategy.baseline_symbol:
                by_symbol[strategy.baseline_symbol.upper()].append(strategy)
        for symbol, users in sorted(by_symbol.items()):
            key = EntityKey(EntityType.BASELINE, symbol, mode)
            plan.baselines_total += 1
            try:
                rows = baseline_rows(
                    key,
                    [day],
                    previous.get((key.entity_type, symbol, mode)),
                    existing.get((key.entity_type, symbol, mode), []),
                    closes,
                    capital=users[0].initial_capital,
                    finalized_at=finalized_at,
                )
            except Exception as exc:  # isolation, as for strategies
                plan.fail(key, exc)
                continue
            plan.baselines_processed += 1
            plan.rows.append(rows[0])
            plan.later.extend(rows[1:])
            plan.replaced.append(key)
    plan.errors = plan.errors[:MAX_STORED_ERRORS]
    return plan


def _strategy_rows(key, strategy, day, snapshots, previous, existing, closes, trades, finalized_at, rate):
    """The strategy's row for ``day`` and its recomputed later rows; ``None`` when there is nothing to do."""
    prev = previous.get((key.entity_type, key.entity_id, key.mode))
    current = existing.get((key.entity_type, key.entity_id, key.mode), [])
    old_today = next((r for r in current if r.trading_date == day), None)
    values = strategy_day_values(
        day,
        snapshots,
        prev,
        closes,
        trades.get((key.entity_id, key.mode, day), ()),
        stored=old_today,
        stored_previous=prev,
    )
    if values is None:
        return None
    row, state = strategy_row(key, strategy, day, values, prev, risk_free_rate=rate, finalized_at=finalized_at)
    later = [r for r in current if r.trading_date > day]
    recomputed = chain_recompute(later, old_today or prev, state) if later else []
    return row, recomputed


def _write(plan: DayPlan, status: EODJobStatus) -> None:
    """Replace the plan's rows and finish the status (inside the caller's transaction)."""
    if plan.replaced:
        # Entities with later rows are rewritten from ``day`` on (delete + insert is linear; a bulk UPDATE of
        # thousands of rows is not), the others for ``day`` only.
        tails = {(r.entity_type, r.entity_id, r.mode) for r in plan.later}
        only_day, from_day = Q(), Q()
        for key in plan.replaced:
            match = Q(entity_type=key.entity_type, entity_id=key.entity_id, mode=key.mode)
            if (key.entity_type, key.entity_id, key.mode) in tails:
                from_day |= match
            else:
                only_day |= match
        if only_day:
            DailyPerformance.objects.filter(only_day, trading_date=plan.day).delete()
        if from_day:
            DailyPerformance.objects.filter(from_day, trading_date__gte=plan.day).delete()
        daily_rows_insert([*plan.rows, *plan.later])
    data_version_bump()  # cached reads switch to the new rows when this commits, with the event below
    status.status = plan.status
    status.completed_at = timezone.now()
    status.strategies_total = plan.strategies_total
    status.strategies_processed = plan.strategies_processed
    status.baselines_total = plan.baselines_total
    status.baselines_processed = plan.baselines_processed
    status.errors = plan.errors
    status.save(
        update_fields=[
            "status",
            "completed_at",
            "strategies_total",
            "strategies_processed",
            "baselines_total",
            "baselines_processed",
            "errors",
        ]
    )
    strategies = sorted({k.entity_id for k in plan.replaced if k.entity_type == EntityType.STRATEGY})
    events.notify_eod_finalized(plan.day, strategies)


# ── the scheduled run ──────────────────────────────────────────────────────────────────────────────


def eod_dates_to_recover(today: date, *, now: datetime | None = None) -> list[date]:
    """Trading days among the last ``performance.eod_recovery_days`` before ``today`` that need finalising:
    no status, ``failed``, ``partial``, ``running`` for more than an hour — or ``completed`` while a row that
    the date should have is missing (see :func:`eod_dates_incomplete`). Oldest first. A fixed number of
    queries for the whole window."""
    now = now or timezone.now()
    count = resolve_value("performance.eod_recovery_days")
    if count <= 0:
        return []
    window = calendar.previous_trading_days(today, count)
    if not window:
        return []
    statuses = eod_statuses_between(window[0], window[-1])
    redo, completed = [], []
    for day in window:
        found = statuses.get(day)
        if (
            found is None
            or found.status in (EODStatus.FAILED, EODStatus.PARTIAL)
            or (found.status == EODStatus.RUNNING and found.started_at < now - STUCK_AFTER)
        ):
            redo.append(day)
        elif found.status == EODStatus.COMPLETED:
            completed.append(day)
    incomplete = eod_dates_incomplete(completed)
    for day, missing in incomplete.items():
        shown = ", ".join(f"{k.entity_type}:{k.entity_id}/{k.mode}" for k in missing[:5])
        logger.warning("EOD %s is completed but has no row for %s; finalising it again", day, shown)
    return sorted([*redo, *incomplete])


def eod_dates_incomplete(days: list[date]) -> dict[date, list[EntityKey]]:
    """The dates among ``days`` that lack a row some entity should have, with those entities.

    An active strategy should have a row in a mode on a date when it has a snapshot that day or a row before it
    (the finalisation marks its positions to market then); each baseline symbol of such strategies should have
    a row in that mode. Rows deleted under a ``completed`` status are found this way. Four queries whatever the
    number of days or strategies: strategies, the window's snapshot days, rows and first dates.
    """
    if not days:
        return {}
    first_day, last_day = min(days), max(days)
    strategies = {s.strategy_id: s for s in strategies_list(active_only=True)}
    if not strategies:
        return {}
    with_snapshot = snapshot_days_between(strategies, first_day, last_day)
    symbols = {s.baseline_symbol.upper() for s in strategies.values() if s.baseline_symbol}
    entities = [(EntityType.STRATEGY, sid) for sid in strategies] + [(EntityType.BASELINE, sym) for sym in symbols]
    stored = daily_performance_keys_between(entities, first_day, last_day)
    firsts = daily_performance_first_dates([(EntityType.STRATEGY, sid) for sid in strategies], before=last_day)
    out: dict[date, list[EntityKey]] = {}
    for day in sorted(days):
        expected: set[EntityKey] = set()
        started = {(sid, mode) for (_, sid, mode), first in firsts.items() if first < day}
        for sid, mode in started | {(sid, mode) for sid, mode, when in with_snapshot if when == day}:
            expected.add(EntityKey(EntityType.STRATEGY, sid, mode))
            symbol = (strategies[sid].baseline_symbol or "").upper()
            if symbol:
                expected.add(EntityKey(EntityType.BASELINE, symbol, mode))
        missing = [k for k in expected if (day, k.entity_type, k.entity_id, k.mode) not in stored]
        if missing:
            out[day] = sorted(missing, key=lambda k: (k.entity_type != EntityType.STRATEGY, k.entity_id, k.mode))
    return out


def eod_run(today: date, *, trigger: str) -> EodRunSummary:
    """Recovery phase (oldest first, repeated while it finds more), then ``today`` when it is a trading day."""
    summary = EodRunSummary(today=today)
    attempted: set[date] = set()
    # A recovered date can make a later completed one incomplete (a strategy whose first row it wrote should
    # now have rows after it), so the window is checked again until nothing new is found; each date is
    # attempted once per run (a date that stays partial is not retried in a loop).
    while pending := [day for day in eod_dates_to_recover(today) if day not in attempted]:
        for day in pending:
            attempted.add(day)
            status = _finalize_logged(day, f"{trigger}:recovery", summary)
            if status is not None:
                summary.recovered.append(status)
    if calendar.is_trading_day(today):
        summary.today_status = _finalize_logged(today, trigger, summary)
    return summary


def _finalize_logged(day: date, trigger: str, summary: EodRunSummary) -> EODJobStatus | None:
    """One date of a run; a date that cannot be finalised never stops the next one (its status says why)."""
    try:
        return eod_finalize_date(day, trigger=trigger)
    except ConflictError as exc:
        summary.conflicts.append(str(exc))
    except Exception as exc:  # already logged and stored as the date's failed status
        summary.conflicts.append(f"{day.isoformat()}: {type(exc).__name__}: {exc}")
    return EODJobStatus.objects.filter(trading_date=day).first()
