"""Reads of daily performance, snapshots and EOD status (pages, API, services all read through here).

Every function returns model rows or plain dataclasses and issues a fixed number of queries whatever the
number of strategies or days (no N+1): the overview is four queries (two when cached), a comparison two. The
latest reads cost O(strategies), not O(days), and are cached per data version (:mod:`performance.cache`).

Conventions: ``mode`` is a :class:`trading.modes.Mode` value; dates are New York trading dates
(``datetime.date``); ranges are inclusive; history is ordered oldest first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DateField, Max, Min, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from jutsu.conf.resolver import resolve_value
from jutsu.errors import InvalidParameter
from jutsu.scheduler import calendar
from performance.cache import cached_read
from performance.models import DAILY_PERFORMANCE_DATA, DailyPerformance, EntityType, EODJobStatus, PerformanceSnapshot
from strategies.engine.analyzer import analyze_performance
from strategies.models import Strategy
from strategies.selectors import strategies_list
from trading.modes import Mode

MAX_COMPARED_STRATEGIES = 3
SPARKLINE_POINTS = 60


@dataclass(frozen=True)
class OverviewItem:
    """One active strategy on the overview: its latest row (None before the first EOD) and a sparkline.

    ``sparkline`` is ``[(trading_date, total_equity), …]`` oldest first, at most ``points`` long.
    """

    strategy: Strategy
    latest: DailyPerformance | None
    sparkline: list[tuple[date, Decimal]] = field(default_factory=list)


@dataclass(frozen=True)
class ComparisonSeries:
    """One line of a comparison chart: an entity and its rows (oldest first)."""

    entity_type: str
    entity_id: str
    rows: list[DailyPerformance]


def mode_validate(mode: str, *, parameter: str = "mode") -> str:
    """Return ``mode`` if it is a known trading mode; otherwise :class:`InvalidParameter` naming the choices."""
    if mode not in Mode.values:
        raise InvalidParameter(f"{parameter}: unknown mode {mode!r}; use one of {', '.join(Mode.values)}")
    return mode


def daily_performance_latest(
    strategy_id: str, mode: str, *, entity_type: str = EntityType.STRATEGY
) -> DailyPerformance | None:
    """The most recent row of one entity in one mode (a strategy by default; pass ``entity_type="baseline"``
    and the symbol as ``strategy_id`` for a baseline). ``None`` when it has no rows. One query."""
    return (
        DailyPerformance.objects.filter(entity_type=entity_type, entity_id=strategy_id, mode=mode)
        .order_by("-trading_date")
        .first()
    )


def daily_performance_history(
    entity_type: str,
    entity_id: str,
    mode: str,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[DailyPerformance]:
    """Rows of one entity in one mode within ``[start, end]`` (either bound optional), oldest first.

    A lazy queryset: slice it for pagination, or ``.values(...)`` for charts. Uses the
    (entity_type, entity_id, mode, trading_date) index.
    """
    rows = DailyPerformance.objects.filter(entity_type=entity_type, entity_id=entity_id, mode=mode)
    return _between(rows, start, end).order_by("trading_date")


def _between(rows: QuerySet[DailyPerformance], start: date | None, end: date | None) -> QuerySet[DailyPerformance]:
    """``rows`` with ``start <= trading_date <= end`` (either bound optional)."""
    if start is not None:
        rows = rows.filter(trading_date__gte=start)
    if end is not None:
        rows = rows.filter(trading_date__lte=end)
    return rows


def overview_strategies() -> list[Strategy]:
    """The active strategies in execution order (the overview's cards, the latest API's list). One query."""
    return list(strategies_list(active_only=True).order_by("execution_order", "strategy_id"))


def daily_performance_overview(mode: str, *, points: int = SPARKLINE_POINTS) -> list[OverviewItem]:
    """Each active strategy (execution order) with its latest row in ``mode`` and its last ``points`` equities.

    One query for the active strategies, then :func:`daily_performance_recent` (cached per data version: one
    query for the version, two more when it computes).
    """
    strategies = overview_strategies()
    recent = daily_performance_recent([s.strategy_id for s in strategies], mode, points=points) if strategies else {}
    items = []
    for strategy in strategies:
        found = recent.get(strategy.strategy_id)
        items.append(
            OverviewItem(strategy=strategy, latest=found.latest, sparkline=found.sparkline)
            if found
            else OverviewItem(strategy=strategy, latest=None)
        )
    return items


@dataclass(frozen=True)
class RecentRows:
    """A strategy's latest row (without ``kpi_state``) and its last equities ``[(trading_date, total_equity), …]``,
    oldest first."""

    latest: DailyPerformance
    sparkline: list[tuple[date, Decimal]]


def daily_performance_recent(strategy_ids: Iterable[str], mode: str, *, points: int = 1) -> dict[str, RecentRows]:
    """The latest row and the last ``points`` (≥ 1) equities of each strategy that has rows in ``mode``, by id.

    Its cost follows the number of strategies, not of days: two queries made of per-strategy index range scans
    on (entity_type, entity_id, mode, trading_date) — the last ``points`` dates, then the latest rows by key —
    and the result is cached per data version (:mod:`performance.cache`), so until a job writes rows again a
    call costs one query.
    """
    if points < 1:
        raise InvalidParameter(f"points: {points} is not a positive number of days")
    ids = tuple(sorted(set(strategy_ids)))
    if not ids:
        return {}
    return cached_read(DAILY_PERFORMANCE_DATA, "recent", (ids, mode, points), lambda: _recent_rows(ids, mode, points))


def _recent_rows(ids: tuple[str, ...], mode: str, points: int) -> dict[str, RecentRows]:
    wanted = Q()
    for strategy_id in ids:
        own = Q(entity_type=EntityType.STRATEGY, entity_id=strategy_id, mode=mode)
        # The date of the points-th newest row (NULL with fewer rows): an index scan of ``points`` entries.
        nth_newest = DailyPerformance.objects.filter(own).order_by("-trading_date").values("trading_date")
        since = Coalesce(Subquery(nth_newest[points - 1 : points]), Value(date.min), output_field=DateField())
        wanted |= own & Q(trading_date__gte=since)
    equities: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    latest_pk: dict[str, int] = {}
    rows = DailyPerformance.objects.filter(wanted).order_by("entity_id", "trading_date")
    for strategy_id, day, equity, pk in rows.values_list("entity_id", "trading_date", "total_equity", "pk"):
        equities[strategy_id].append((day, equity))
        latest_pk[strategy_id] = pk
    if not latest_pk:
        return {}
    latest = DailyPerformance.objects.filter(pk__in=latest_pk.values()).defer("kpi_state").order_by()
    return {row.entity_id: RecentRows(row, equities[row.entity_id]) for row in latest}


def daily_performance_latest_pair(
    strategy_id: str, mode: str
) -> tuple[DailyPerformance | None, DailyPerformance | None]:
    """A strategy's latest row in ``mode`` and its baseline's latest row (``None`` when missing). Two index
    seeks (the API caches what it makes of them per data version)."""
    latest = daily_performance_latest(strategy_id, mode)
    if latest is None or not latest.baseline_symbol:
        return latest, None
    return latest, daily_performance_latest(latest.baseline_symbol, mode, entity_type=EntityType.BASELINE)


def daily_performance_comparison(
    strategy_ids: list[str],
    mode: str,
    start: date | None = None,
    end: date | None = None,
    *,
    include_baselines: bool = True,
) -> list[ComparisonSeries]:
    """Up to three strategies plus their baselines over ``[start, end]``, for one chart.

    Strategies come first in the order given, then each distinct baseline symbol once (the ``Strategy`` row's
    ``baseline_symbol``, else the symbol recorded on the strategy's rows). A strategy without rows is
    returned with an empty list. More than three ids → :class:`InvalidParameter`. Two or three queries.
    """
    ids = list(dict.fromkeys(s for s in strategy_ids if s))
    if not ids:
        raise InvalidParameter("strategy_ids: give at least one strategy id (comma-separated)")
    if len(ids) > MAX_COMPARED_STRATEGIES:
        raise InvalidParameter(
            f"strategy_ids: at most {MAX_COMPARED_STRATEGIES} strategies can be compared, got {len(ids)}"
        )
    symbols: list[str] = []
    if include_baselines:
        configured = dict(strategies_list().filter(strategy_id__in=ids).values_list("strategy_id", "baseline_symbol"))
        recorded = dict(
            DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY, entity_id__in=ids, mode=mode)
            .exclude(baseline_symbol="")
            .values_list("entity_id", "baseline_symbol")
            .distinct()
            .order_by()
        )
        symbols = list(dict.fromkeys(s for s in (configured.get(i) or recorded.get(i) for i in ids) if s))
    rows = _between(DailyPerformance.objects.filter(_compared_q(ids, symbols), mode=mode), start, end)
    grouped: dict[tuple[str, str], list[DailyPerformance]] = defaultdict(list)
    for row in rows.order_by("trading_date"):
        grouped[(row.entity_type, row.entity_id)].append(row)
    series = [ComparisonSeries(EntityType.STRATEGY, i, grouped.get((EntityType.STRATEGY, i), [])) for i in ids]
    series += [ComparisonSeries(EntityType.BASELINE, s, grouped.get((EntityType.BASELINE, s), [])) for s in symbols]
    return series


def _compared_q(strategy_ids: list[str], baseline_symbols: list[str]) -> Q:
    wanted = Q(entity_type=EntityType.STRATEGY, entity_id__in=strategy_ids)
    if baseline_symbols:
        wanted |= Q(entity_type=EntityType.BASELINE, entity_id__in=baseline_symbols)
    return wanted


@dataclass
class ChartSeries:
    """One line of the performance charts: an entity's rows in the range as parallel lists (oldest first)."""

    entity_type: str
    entity_id: str
    dates: list[date] = field(default_factory=list)
    equity: list[Decimal] = field(default_factory=list)
    drawdown: list[float] = field(default_factory=list)
    cells: list[int | None] = field(default_factory=list)
    last_win_rate: float | None = None
    capital: Decimal | None = None  # the entity's initial capital when the range starts at its first day


def daily_performance_chart_series(
    strategy_ids: list[str], baseline_symbols: list[str], mode: str, start: date | None, end: date | None
) -> list[ChartSeries]:
    """Strategies (in the order given) then baselines, with only the columns the charts use. One query.

    ``capital`` is set on a series whose range begins at the entity's first row: its returns are then measured
    from the initial capital, like the stored cumulative return and the backtest's total return.

    Same entities and range as :func:`daily_performance_comparison`, but one ``values_list`` query instead of
    full rows: a decade of two series loads in ~0.05 s instead of ~1 s (``kpi_state``/``positions`` JSON and
    five Decimals per row are never decoded).
    """
    series = [ChartSeries(EntityType.STRATEGY, i) for i in strategy_ids]
    series += [ChartSeries(EntityType.BASELINE, s) for s in baseline_symbols]
    by_key = {(item.entity_type, item.entity_id): item for item in series}
    rows = _between(DailyPerformance.objects.filter(_compared_q(strategy_ids, baseline_symbols), mode=mode), start, end)
    columns = (
        "entity_type",
        "entity_id",
        "trading_date",
        "total_equity",
        "drawdown",
        "strategy_cell",
        "win_rate",
        "is_first_day",
        "initial_capital",
    )
    for entity_type, entity_id, day, equity, drawdown, cell, win_rate, first, capital in rows.order_by(
        "trading_date"
    ).values_list(*columns):
        item = by_key[(entity_type, entity_id)]
        if first and not item.dates:
            item.capital = capital
        item.dates.append(day)
        item.equity.append(equity)
        item.drawdown.append(drawdown)
        item.cells.append(cell)
        item.last_win_rate = win_rate
    return series


def daily_performance_latest_date(strategy_ids: list[str], mode: str) -> date | None:
    """Newest trading date of any of these strategies in ``mode``. One query."""
    return DailyPerformance.objects.filter(
        entity_type=EntityType.STRATEGY, entity_id__in=strategy_ids, mode=mode
    ).aggregate(latest=Max("trading_date"))["latest"]


def eod_status_recent(days: int = 30) -> QuerySet[EODJobStatus]:
    """EOD statuses of the last ``days`` calendar days that have one, newest first. One query."""
    latest = EODJobStatus.objects.aggregate(last=Max("trading_date"))["last"]
    if latest is None:
        return EODJobStatus.objects.none()
    return EODJobStatus.objects.filter(trading_date__gt=latest - timedelta(days=days)).order_by("-trading_date")


def eod_status_for(trading_date: date) -> EODJobStatus | None:
    """The EOD status of one trading date (None when it was never finalised)."""
    return EODJobStatus.objects.filter(trading_date=trading_date).first()


def eod_statuses_between(start: date, end: date) -> dict[date, EODJobStatus]:
    """EOD statuses by trading date within ``[start, end]``. One query."""
    return {s.trading_date: s for s in EODJobStatus.objects.filter(trading_date__gte=start, trading_date__lte=end)}


def snapshots_between(
    strategy_ids: Iterable[str], mode: str | None, start_at: datetime, end_at: datetime
) -> QuerySet[PerformanceSnapshot]:
    """Snapshots of these strategies (in ``mode``, or every mode) with ``start_at <= timestamp < end_at``,
    oldest first (ties by id, so "the day's last snapshot" is well defined)."""
    rows = PerformanceSnapshot.objects.filter(strategy_id__in=list(strategy_ids), timestamp__gte=start_at)
    rows = rows.filter(timestamp__lt=end_at)
    if mode:
        rows = rows.filter(mode=mode)
    return rows.order_by("timestamp", "id")


def daily_performance_previous_rows(
    entity_ids: Iterable[tuple[str, str]], before: date, *, mode: str | None = None
) -> dict[tuple[str, str, str], DailyPerformance]:
    """The latest row strictly before ``before`` of each ``(entity_type, entity_id)`` (every mode, or ``mode``).

    Keyed by ``(entity_type, entity_id, mode)``. Two queries whatever the number of entities: the latest
    date per entity (an aggregate on the entity/date index), then those rows.
    """
    wanted = _entities_q(entity_ids)
    if wanted is None:
        return {}
    rows = DailyPerformance.objects.filter(wanted, trading_date__lt=before)
    if mode:
        rows = rows.filter(mode=mode)
    latest = rows.values("entity_type", "entity_id", "mode").annotate(last=Max("trading_date")).order_by()
    pick = Q()
    for item in latest:
        pick |= Q(
            entity_type=item["entity_type"],
            entity_id=item["entity_id"],
            mode=item["mode"],
            trading_date=item["last"],
        )
    if not pick:
        return {}
    return {(r.entity_type, r.entity_id, r.mode): r for r in DailyPerformance.objects.filter(pick)}


def daily_performance_from(
    entity_ids: Iterable[tuple[str, str]], start: date, *, mode: str | None = None
) -> dict[tuple[str, str, str], list[DailyPerformance]]:
    """Rows on or after ``start`` of each ``(entity_type, entity_id)``, grouped by (type, id, mode), oldest
    first. One query."""
    wanted = _entities_q(entity_ids)
    if wanted is None:
        return {}
    rows = DailyPerformance.objects.filter(wanted, trading_date__gte=start)
    if mode:
        rows = rows.filter(mode=mode)
    grouped: dict[tuple[str, str, str], list[DailyPerformance]] = defaultdict(list)
    for row in rows.order_by("trading_date"):
        grouped[(row.entity_type, row.entity_id, row.mode)].append(row)
    return grouped


def daily_performance_keys_between(
    entity_ids: Iterable[tuple[str, str]], start: date, end: date
) -> set[tuple[date, str, str, str]]:
    """``(trading_date, entity_type, entity_id, mode)`` of the rows of these entities in ``[start, end]`` (every
    mode). One query, no model instances."""
    wanted = _entities_q(entity_ids)
    if wanted is None:
        return set()
    rows = DailyPerformance.objects.filter(wanted, trading_date__gte=start, trading_date__lte=end)
    return set(rows.values_list("trading_date", "entity_type", "entity_id", "mode").order_by())


def daily_performance_first_dates(
    entity_ids: Iterable[tuple[str, str]], *, before: date
) -> dict[tuple[str, str, str], date]:
    """The first row's date of each ``(entity_type, entity_id)`` and mode that has a row before ``before``, keyed
    by (type, id, mode). One aggregate query on the entity/date index."""
    wanted = _entities_q(entity_ids)
    if wanted is None:
        return {}
    rows = DailyPerformance.objects.filter(wanted, trading_date__lt=before)
    firsts = rows.values("entity_type", "entity_id", "mode").annotate(first=Min("trading_date")).order_by()
    return {(r["entity_type"], r["entity_id"], r["mode"]): r["first"] for r in firsts}


def snapshot_days_between(strategy_ids: Iterable[str], start: date, end: date) -> set[tuple[str, str, date]]:
    """``(strategy_id, mode, trading_date)`` for each New York date in ``[start, end]`` on which the strategy has
    at least one snapshot in that mode. One query."""
    from performance.services.days import day_bounds

    rows = PerformanceSnapshot.objects.filter(
        strategy_id__in=list(strategy_ids), timestamp__gte=day_bounds(start)[0], timestamp__lt=day_bounds(end)[1]
    )
    return {
        (sid, mode, calendar.market_date(at)) for sid, mode, at in rows.values_list("strategy_id", "mode", "timestamp")
    }


def _entities_q(entity_ids: Iterable[tuple[str, str]]) -> Q | None:
    by_type: dict[str, set[str]] = defaultdict(set)
    for entity_type, entity_id in entity_ids:
        by_type[entity_type].add(entity_id)
    if not by_type:
        return None
    wanted = Q()
    for entity_type, ids in sorted(by_type.items()):
        wanted |= Q(entity_type=entity_type, entity_id__in=sorted(ids))
    return wanted


def strategy_known(strategy_id: str) -> bool:
    """True when ``strategy_id`` is a registered strategy (active or not)."""
    return strategies_list().filter(strategy_id=strategy_id).exists()


# ── V1 (deprecated) read models ───────────────────────────────────────────────────────────────────


def snapshot_daily_rows(
    strategy_id: str, mode: str, start: date | None = None, end: date | None = None
) -> list[DailyPerformance]:
    """V1 with ``USE_DAILY_PERFORMANCE`` off: unsaved daily rows computed on the fly from snapshots.

    The day's **last** snapshot is its end-of-day equity and returns come from equity (the fixed V1 — the
    original took a per-snapshot return here, ADR-05). Nothing is written. One query for the snapshots
    (plus the risk-free rate's).
    """
    from performance.services.days import day_bounds
    from performance.services.kpis import DayValues, EntityKey, regime_from, row_build

    snapshots = PerformanceSnapshot.objects.filter(strategy_id=strategy_id, mode=mode)
    if start is not None:
        snapshots = snapshots.filter(timestamp__gte=day_bounds(start)[0])
    if end is not None:
        snapshots = snapshots.filter(timestamp__lt=day_bounds(end)[1])
    last_of_day: dict[date, PerformanceSnapshot] = {}
    for snap in snapshots.order_by("timestamp", "id"):
        last_of_day[calendar.market_date(snap.timestamp)] = snap
    key = EntityKey(EntityType.STRATEGY, strategy_id, mode)
    rate = resolve_value("performance.risk_free_rate")
    rows, state = [], None
    for day in sorted(last_of_day):
        snap = last_of_day[day]
        values = DayValues(float(snap.total_equity), snap.cash, snap.positions_value, snap.positions, regime_from(snap))
        row, state = row_build(
            key,
            day,
            values,
            state,
            risk_free_rate=rate,
            baseline_symbol="",
            initial_capital=snap.total_equity if state is None else rows[0].initial_capital,
            finalized_at=snap.timestamp,
        )
        rows.append(row)
    return rows


V1_METRICS = {
    "total_return": "cumulative_return",
    "cagr": "cagr",
    "sharpe_ratio": "sharpe_ratio",
    "sortino_ratio": "sortino_ratio",
    "calmar_ratio": "calmar_ratio",
    "max_drawdown": "max_drawdown",
    "volatility": "volatility",
    "current_drawdown": "drawdown",
    "win_rate": "win_rate",
    "total_trades": "total_trades",
    "trading_days": "trading_days_count",
}


def v1_metrics(rows: list[DailyPerformance]) -> dict[str, Any]:
    """V1's metric names read from the last row (all-time KPIs are stored on every row)."""
    if not rows:
        return dict.fromkeys(V1_METRICS)
    last = rows[-1]
    return {name: getattr(last, field) for name, field in V1_METRICS.items()}


def regime_breakdown(rows: list[DailyPerformance], mode: str) -> list[dict[str, Any]]:
    """Per regime cell: days and compounded strategy/baseline returns (the analyzer's ``regime_cells``).

    The baseline is included when it has a row on every one of the strategy's dates. One query.
    """
    if len(rows) < 2:
        return []
    curve = [(r.trading_date, float(r.total_equity)) for r in rows]
    baseline_curve = None
    symbol = rows[-1].baseline_symbol
    if symbol:
        base = dict(
            daily_performance_history(
                EntityType.BASELINE, symbol, mode, rows[0].trading_date, rows[-1].trading_date
            ).values_list("trading_date", "total_equity")
        )
        if all(r.trading_date in base for r in rows):
            baseline_curve = [(r.trading_date, float(base[r.trading_date])) for r in rows]
    metrics = analyze_performance(curve, baseline_curve=baseline_curve, regime_cells=[r.strategy_cell for r in rows])
    return [cell.as_dict() for cell in metrics.regime_cells]


def daily_performance_baselines_on(
    symbols: Iterable[str], mode: str, dates: Iterable[date]
) -> dict[tuple[str, date], DailyPerformance]:
    """``{(symbol, trading_date): baseline row}`` for the given symbols and dates in ``mode``. One query."""
    symbols, dates = sorted(set(symbols)), sorted(set(dates))
    if not symbols or not dates:
        return {}
    rows = DailyPerformance.objects.filter(
        entity_type=EntityType.BASELINE, entity_id__in=symbols, mode=mode, trading_date__in=dates
    )
    return {(row.entity_id, row.trading_date): row for row in rows}
