"""Rebuilding daily performance over a date range, and seeding a strategy's history from a backtest run.

``daily_performance_backfill`` replays the EOD computation day by day in memory — the same functions
(:mod:`performance.services.days`, :mod:`performance.services.kpis`) on the same inputs (snapshots, closes,
closed trades) — so rebuilding any range gives exactly the rows day-by-day finalisation gives. Rows after the
range keep their equity and get their KPI chain recomputed; the baselines of the strategies involved are
rebuilt over the range and everything after it.

``daily_performance_seed_from_backtest`` turns a ``BacktestRun`` into the strategy's first rows (equity,
cash, positions, regime and closed trades of every day of the run) plus its baseline from market-data closes,
so the dashboard has history from day one. KPIs use the backtest's own equity values and risk-free rate,
so the last row's Sharpe and max drawdown equal the run's metrics.

Both write one transaction per entity (its rows are replaced atomically) and report progress through an
optional :class:`Progress`; the number of queries grows with the number of entities, never with days.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from jutsu.conf.resolver import resolve_value
from jutsu.errors import ConflictError, InvalidParameter, NotFound
from jutsu.scheduler import calendar
from performance.models import DailyPerformance, EntityType, PerformanceSnapshot
from performance.selectors import daily_performance_from, daily_performance_previous_rows, mode_validate
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
from performance.services.kpis import DayValues, EntityKey, chain_recompute, regime_from, row_build
from performance.services.rows import daily_rows_insert
from strategies.engine.kpi import KpiState
from strategies.models import BacktestStatus, Strategy
from strategies.selectors import backtest_run_get, strategies_list

logger = logging.getLogger(__name__)


class Progress(Protocol):
    """What a caller (a command's progress bar) receives: the total once, then steps."""

    def start(self, total: int, label: str = "") -> None: ...

    def advance(self, steps: int = 1, label: str = "") -> None: ...

    def finish(self) -> None: ...


class SilentProgress:
    def start(self, total: int, label: str = "") -> None:
        pass

    def advance(self, steps: int = 1, label: str = "") -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class BackfillSummary:
    """Rows written per entity and the days that could not be computed."""

    start: date | None = None
    end: date | None = None
    rows: dict[str, int] = field(default_factory=dict)  # "strategy:v3_5b/paper" → rows
    later_recomputed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def line(self) -> str:
        span = f"{self.start} … {self.end}" if self.start else "nothing to do"
        parts = ", ".join(f"{name}: {count}" for name, count in self.rows.items()) or "no rows"
        errors = f"; {len(self.errors)} error(s)" if self.errors else ""
        return f"{span}: {parts}; {self.later_recomputed} later rows recomputed{errors}"


def entity_label(key: EntityKey) -> str:
    return f"{key.entity_type}:{key.entity_id}/{key.mode}"


# ── backfill from snapshots ────────────────────────────────────────────────────────────────────────


def daily_performance_backfill(
    *,
    strategy_ids: Iterable[str] | None = None,
    mode: str | None = None,
    start: date | None = None,
    end: date | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> BackfillSummary:
    """Rebuild the rows of strategies (default: every active one) and their baselines over ``[start, end]``.

    ``mode`` defaults to every mode with snapshots or rows; ``start`` to the first snapshot or row; ``end`` to
    the last trading day whose session has closed. Days are NYSE trading days.
    """
    progress = progress or SilentProgress()
    now = now or timezone.now()
    strategies = _strategies(strategy_ids)
    if mode:
        mode_validate(mode)
    pairs = _pairs(strategies, mode)
    summary = BackfillSummary()
    if not pairs:
        return summary
    end = end or calendar.last_closed_session(now)
    start = start or _first_day(pairs)
    if start is None or start > end:
        if start is not None:
            raise InvalidParameter(f"start: {start} is after end {end}")
        return summary
    summary.start, summary.end = start, end
    days = calendar.trading_days(start, end)

    snapshots = _snapshots_by_day(pairs, start, end)
    entities = [(EntityType.STRATEGY, sid) for sid, _ in pairs]
    previous = daily_performance_previous_rows(entities, start)
    existing = daily_performance_from(entities, start)
    symbols = {s.baseline_symbol.upper() for s in strategies.values() if s.baseline_symbol}
    for day_snaps in snapshots.values():
        for snaps in day_snaps.values():
            symbols |= position_symbols(*snaps)
    symbols |= position_symbols(*previous.values())
    closes = closes_between(symbols, start, end)
    trades = closed_trade_pnls(pairs, start, end)
    progress.start(len(pairs) * len(days) + len(pairs), "daily performance")

    new_rows: dict[str, dict[str, list[DailyPerformance]]] = defaultdict(dict)  # mode → sid → rows
    finalized_at = timezone.now()
    rate = resolve_value("performance.risk_free_rate")
    for sid, pair_mode in in_execution_order(pairs, strategies):
        key = EntityKey(EntityType.STRATEGY, sid, pair_mode)
        rows, later = _strategy_range(
            key,
            strategies[sid],
            days,
            snapshots.get((sid, pair_mode), {}),
            previous.get((EntityType.STRATEGY, sid, pair_mode)),
            existing.get((EntityType.STRATEGY, sid, pair_mode), []),
            closes,
            trades,
            finalized_at,
            rate,
            summary,
            progress,
        )
        entity_rows_replace(key, start, end, rows, later)
        summary.rows[entity_label(key)] = len(rows)
        summary.later_recomputed += len(later)
        new_rows[pair_mode][sid] = rows
        progress.advance(1, sid)

    for pair_mode, by_strategy in sorted(new_rows.items()):
        _baselines_rebuild(pair_mode, by_strategy, strategies, summary, finalized_at)
    progress.finish()
    return summary


def _strategies(strategy_ids: Iterable[str] | None) -> dict[str, Strategy]:
    if strategy_ids:
        wanted = list(dict.fromkeys(strategy_ids))
        found = {s.strategy_id: s for s in strategies_list().filter(strategy_id__in=wanted)}
        unknown = [s for s in wanted if s not in found]
        if unknown:
            known = ", ".join(strategies_list().values_list("strategy_id", flat=True)) or "none (run sync_strategies)"
            raise InvalidParameter(f"strategy: unknown strategy {', '.join(unknown)} (known: {known})")
        return found
    return {s.strategy_id: s for s in strategies_list(active_only=True)}


def _pairs(strategies: dict[str, Strategy], mode: str | None) -> list[tuple[str, str]]:
    """(strategy_id, mode) pairs that have snapshots or rows."""
    ids = list(strategies)
    snaps = PerformanceSnapshot.objects.filter(strategy_id__in=ids)
    rows = DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY, entity_id__in=ids)
    if mode:
        snaps, rows = snaps.filter(mode=mode), rows.filter(mode=mode)
    found = set(snaps.values_list("strategy_id", "mode").distinct().order_by())
    found |= set(rows.values_list("entity_id", "mode").distinct().order_by())
    return sorted(found)


def _first_day(pairs: list[tuple[str, str]]) -> date | None:
    """The earliest New York date with a snapshot or a row among these (strategy_id, mode) pairs. Two queries."""
    ids, wanted = {sid for sid, _ in pairs}, set(pairs)
    snapshots = (
        PerformanceSnapshot.objects.filter(strategy_id__in=ids)
        .values_list("strategy_id", "mode")
        .annotate(first=Min("timestamp"))
        .order_by()
    )
    rows = (
        DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY, entity_id__in=ids)
        .values_list("entity_id", "mode")
        .annotate(first=Min("trading_date"))
        .order_by()
    )
    firsts = [calendar.market_date(first) for sid, mode, first in snapshots if (sid, mode) in wanted]
    firsts += [first for sid, mode, first in rows if (sid, mode) in wanted]
    return min(firsts, default=None)


_SNAPSHOT_FIELDS = [f.attname for f in PerformanceSnapshot._meta.concrete_fields]


def _snapshots_by_day(pairs, start: date, end: date) -> dict[tuple[str, str], dict[date, list[PerformanceSnapshot]]]:
    """The snapshots that matter, grouped by (strategy, mode) and New York date. One query.

    Only the day's last snapshot and its last regime-carrying one can influence the day (see
    :func:`performance.services.days.strategy_day_values`), so only those become model instances.
    """
    low, _ = day_bounds(start)
    _, high = day_bounds(end)
    wanted = set(pairs)
    last: dict[tuple[str, str, date], dict] = {}
    last_regime: dict[tuple[str, str, date], dict] = {}
    rows = (
        PerformanceSnapshot.objects.filter(
            strategy_id__in={sid for sid, _ in pairs}, timestamp__gte=low, timestamp__lt=high
        )
        .order_by("timestamp", "id")
        .values(*_SNAPSHOT_FIELDS)
    )
    for values in rows:
        if (values["strategy_id"], values["mode"]) not in wanted:
            continue
        key = (values["strategy_id"], values["mode"], calendar.market_date(values["timestamp"]))
        last[key] = values
        if values["strategy_cell"] is not None:
            last_regime[key] = values
    out: dict[tuple[str, str], dict[date, list[PerformanceSnapshot]]] = defaultdict(lambda: defaultdict(list))
    for key, values in last.items():
        kept = [values] if last_regime.get(key, values) is values else [last_regime[key], values]
        out[(key[0], key[1])][key[2]] = [PerformanceSnapshot(**v) for v in kept]
    return out


def _strategy_range(
    key, strategy, days, snapshots, previous, existing, closes, trades, finalized_at, rate, summary, progress
) -> tuple[list[DailyPerformance], list[DailyPerformance]]:
    """The strategy's rows for ``days`` (as day-by-day finalisation builds them) and its recomputed later rows."""
    prev = previous
    stored = {r.trading_date: r for r in existing}
    stored_previous = previous
    rows: list[DailyPerformance] = []
    for day in days:
        try:
            values = strategy_day_values(
                day,
                snapshots.get(day, []),
                prev,
                closes,
                trades.get((key.entity_id, key.mode, day), ()),
                stored=stored.get(day),
                stored_previous=stored_previous,
            )
            stored_previous = stored.get(day, stored_previous)
            if values is not None:
                row, _ = strategy_row(key, strategy, day, values, prev, risk_free_rate=rate, finalized_at=finalized_at)
                rows.append(row)
                prev = row
        except Exception as exc:  # one bad day is reported; like the EOD job, the chain skips it
            summary.errors.append(f"{entity_label(key)} {day}: {type(exc).__name__}: {exc}")
        progress.advance(1)
    if not days:
        return rows, []
    state = rows[-1].kpi_state if rows else (previous.kpi_state if previous else None)
    return rows, _later_recomputed(existing, days[-1], KpiState.from_dict(state) if state else None, previous)


def _later_recomputed(
    existing: list[DailyPerformance], end: date, state: KpiState | None, previous: DailyPerformance | None
) -> list[DailyPerformance]:
    """The stored rows after ``end`` with their KPI chain continued from ``state`` (the new row of ``end``).

    ``existing`` are the entity's stored rows from the start of the rewritten range on, ascending;
    ``previous`` its stored row before them (for the trades the first later row counted).
    """
    later = [r for r in existing if r.trading_date > end]
    if not later:
        return []
    old_previous = next((r for r in reversed(existing) if r.trading_date <= end), previous)
    return chain_recompute(later, old_previous, state)


def entity_rows_replace(
    key: EntityKey, start: date, end: date, rows: list[DailyPerformance], later: list[DailyPerformance]
) -> None:
    """Replace the entity's rows in ``[start, end]`` and rewrite its later rows (recomputed), atomically."""
    with transaction.atomic():
        stale = DailyPerformance.objects.filter(
            entity_type=key.entity_type, entity_id=key.entity_id, mode=key.mode, trading_date__gte=start
        )
        if not later:
            stale = stale.filter(trading_date__lte=end)
        stale.delete()
        daily_rows_insert([*rows, *later])
        data_version_bump()


def _baselines_rebuild(
    mode: str,
    by_strategy: dict[str, list[DailyPerformance]],
    strategies: dict[str, Strategy],
    summary: BackfillSummary,
    finalized_at: datetime,
) -> None:
    """Rebuild each baseline symbol of these strategies over the days they have rows (and every later row)."""
    users: dict[str, list[str]] = defaultdict(list)
    for sid in by_strategy:
        symbol = (strategies[sid].baseline_symbol or "").upper()
        if symbol:
            users[symbol].append(sid)
    for symbol, sids in sorted(users.items()):
        days_by_sid = {sid: {r.trading_date for r in by_strategy[sid]} for sid in sids}
        days = sorted(set().union(*days_by_sid.values()))
        if not days:
            continue
        first = days[0]
        starters = [strategies[s] for s in sids if first in days_by_sid[s]]
        starters.sort(key=lambda s: (s.execution_order, s.strategy_id))
        baseline_rebuild(
            EntityKey(EntityType.BASELINE, symbol, mode),
            days,
            capital=starters[0].initial_capital,
            finalized_at=finalized_at,
            summary=summary,
        )


def baseline_rebuild(
    key: EntityKey, days: list[date], *, capital: Decimal, finalized_at: datetime, summary: BackfillSummary
) -> None:
    first = days[0]
    entity = [(key.entity_type, key.entity_id)]
    previous = daily_performance_previous_rows(entity, first, mode=key.mode).get(
        (key.entity_type, key.entity_id, key.mode)
    )
    existing = daily_performance_from(entity, first, mode=key.mode).get((key.entity_type, key.entity_id, key.mode), [])
    last = max([days[-1], *(r.trading_date for r in existing)])
    closes = closes_between([key.entity_id], first, last)
    rows = baseline_rows(
        key, days, previous, existing, closes, capital=capital, finalized_at=finalized_at, skip_missing=True
    )
    wanted = len(set(days) | {r.trading_date for r in existing})
    if len(rows) < wanted:
        summary.errors.append(f"{entity_label(key)}: {wanted - len(rows)} day(s) without a close for {key.entity_id}")
    with transaction.atomic():
        DailyPerformance.objects.filter(
            entity_type=key.entity_type, entity_id=key.entity_id, mode=key.mode, trading_date__gte=first
        ).delete()
        daily_rows_insert(rows)
        data_version_bump()
    summary.rows[entity_label(key)] = len(rows)


# ── seeding from a backtest run ────────────────────────────────────────────────────────────────────


def daily_performance_seed_from_backtest(
    *, run_id: int, mode: str = "paper", expected_strategy: str | None = None, progress: Progress | None = None
) -> BackfillSummary:
    """Seed the strategy's rows (in ``mode``) and its baseline from a completed ``BacktestRun``.

    Replaces the strategy's rows over the run's dates (re-seeding is idempotent) and recomputes the KPI chain
    of rows after them. Refused (``ConflictError``) when the strategy already has rows *before* the run's
    first date in this mode — the run would not be the start of its history. ``expected_strategy``, when given,
    must be the run's strategy.
    """
    progress = progress or SilentProgress()
    mode_validate(mode)
    run = backtest_run_get(run_id)
    if run is None:
        raise NotFound(f"backtest run {run_id} not found")
    if run.status != BacktestStatus.COMPLETED or not run.equity_curve:
        raise InvalidParameter(f"from-backtest: run {run_id} is {run.status} with {len(run.equity_curve)} equity rows")
    strategy = run.strategy or strategies_list().filter(strategy_id=run.strategy_id_text).first()
    strategy_id = strategy.strategy_id if strategy else run.strategy_id_text
    if expected_strategy and expected_strategy != strategy_id:
        raise InvalidParameter(f"strategy: backtest run {run_id} is a run of {strategy_id}, not {expected_strategy}")
    key = EntityKey(EntityType.STRATEGY, strategy_id, mode)
    curve = sorted(run.equity_curve, key=lambda r: str(r["date"]))
    dates = [date.fromisoformat(str(r["date"])[:10]) for r in curve]
    first, last = dates[0], dates[-1]
    earlier = DailyPerformance.objects.filter(
        entity_type=key.entity_type, entity_id=strategy_id, mode=mode, trading_date__lt=first
    ).first()
    if earlier is not None:
        raise ConflictError(
            f"{strategy_id} already has {mode} rows before the run's first date {first} (from {earlier.trading_date}); "
            "seed from a run that starts earlier, or rebuild that history with backfill_daily_performance"
        )
    metrics = run.metrics or {}
    used = metrics.get("risk_free_rate")  # the rate the run's analyzer used, so Sharpe/Sortino match it
    rate = float(used) if used is not None else resolve_value("performance.risk_free_rate")
    baseline_symbol = (
        (run.config or {}).get("baseline_symbol")
        or (strategy.baseline_symbol if strategy else "")
        or resolve_value("trading.baseline_symbol")
    ).upper()
    regime = {str(r["date"])[:10]: r for r in run.regime or []}
    trades = _trades_by_curve_day(run.trades or [], dates)
    progress.start(len(dates) * 2, f"seed {strategy_id}")

    finalized_at = timezone.now()
    rows: list[DailyPerformance] = []
    state = None
    for day, point in zip(dates, curve, strict=True):
        values = DayValues(
            equity=float(Decimal(str(point["equity"]))),
            cash=Decimal(str(point.get("cash", 0))),
            positions_value=Decimal(str(point.get("positions_value", 0))),
            positions=point.get("positions") or {},
            regime=regime_from(regime.get(day.isoformat())),
            trades=trades.get(day, []),
        )
        row, state = row_build(
            key,
            day,
            values,
            state,
            risk_free_rate=rate,
            baseline_symbol=baseline_symbol,
            initial_capital=run.initial_capital,
            finalized_at=finalized_at,
        )
        rows.append(row)
        progress.advance(1)
    existing = daily_performance_from([(key.entity_type, strategy_id)], first, mode=mode).get(
        (key.entity_type, strategy_id, mode), []
    )
    later = _later_recomputed(existing, last, state, None)
    entity_rows_replace(key, first, last, rows, later)
    summary = BackfillSummary(start=first, end=last, later_recomputed=len(later))
    summary.rows[entity_label(key)] = len(rows)
    if baseline_symbol:
        baseline_rebuild(
            EntityKey(EntityType.BASELINE, baseline_symbol, mode),
            dates,
            capital=run.initial_capital,
            finalized_at=finalized_at,
            summary=summary,
        )
    progress.advance(len(dates))
    progress.finish()
    return summary


def _trades_by_curve_day(trades: list[dict[str, Any]], dates: list[date]) -> dict[date, list[float]]:
    """Closed trades' P&L by the curve date they closed on (the first curve date on or after their exit)."""
    out: dict[date, list[float]] = defaultdict(list)
    for trade in trades:
        exit_raw = trade.get("exit_date")
        if not exit_raw or trade.get("pnl") is None:
            continue
        exit_day = date.fromisoformat(str(exit_raw)[:10])
        i = bisect.bisect_left(dates, exit_day)
        if i < len(dates):
            out[dates[i]].append(float(Decimal(str(trade["pnl"]))))
    return out
