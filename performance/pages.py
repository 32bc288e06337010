"""Data for the overview (``/``) and performance (``/performance/``) pages.

Reads go through ``performance.selectors`` and ``strategies.selectors``; the rest shapes the rows into plain
dicts for the templates and the charts' ``json_script`` payloads. Range KPIs come
from the analyzer — the one implementation of the metrics — on the rows' daily equity.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from accounts.permissions import user_has_permission
from jutsu.conf.resolver import resolve_value
from performance.forms import DEFAULT_MODE, DEFAULT_RANGE, RANGE_CHOICES, PerformanceFilterForm
from performance.models import EntityType
from performance.selectors import (
    MAX_COMPARED_STRATEGIES,
    ChartSeries,
    OverviewItem,
    daily_performance_chart_series,
    daily_performance_latest_date,
    eod_status_recent,
)
from strategies import display
from strategies.engine.analyzer import analyze_performance
from strategies.models import Strategy
from strategies.ranges import RunRange, strategy_run_ranges
from strategies.selectors import strategies_list
from trading.modes import Mode

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 40, 2

#: Who is shown commands in empty states: admins (who may run backtests). Viewers are told what an admin can do.
ADMIN_HINTS_PERMISSION = "backtests:run"


def admin_hints(user) -> bool:
    """True when empty states may show ``manage.py`` commands to ``user`` (an admin), not only what an admin can do."""
    return user_has_permission(user, ADMIN_HINTS_PERMISSION)


def empty_run_ranges(strategies: list[Strategy]) -> dict[str, RunRange]:
    """The dates a backtest of each of these strategies (those without rows) can cover with the stored bars, for
    the empty states' hints (no queries when every strategy has rows)."""
    return strategy_run_ranges(strategies) if strategies else {}


# --- overview ------------------------------------------------------------------------------------------------


def sparkline_points(values: list[Any]) -> str:
    """SVG ``points`` for a polyline of ``values`` scaled into the sparkline box ("" below two points)."""
    numbers = [display.to_float(v) for v in values]
    numbers = [n for n in numbers if n is not None]
    if len(numbers) < 2:
        return ""
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / (len(numbers) - 1)
    inner = SPARK_HEIGHT - 2 * SPARK_PAD
    return " ".join(
        f"{SPARK_PAD + i * step:.1f},{SPARK_PAD + inner - (n - low) / span * inner:.1f}" for i, n in enumerate(numbers)
    )


def _window_return(first: Any, last: Any) -> float | None:
    a, b = display.to_float(first), display.to_float(last)
    return None if not a or b is None else b / a - 1.0


def overview_card(
    item: OverviewItem, *, baselines: dict | None = None, live: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One strategy card: identity, latest KPIs and regime (None before its first row), the labelled sparkline,
    its baseline's day and cumulative return on the same date, positions with today's targets."""
    equities = [equity for _, equity in item.sparkline]
    first, last = (equities[0], equities[-1]) if equities else (None, None)
    latest = item.latest
    symbol = (latest.baseline_symbol if latest else "") or item.strategy.baseline_symbol
    baselines = baselines or {}
    baseline = baselines.get((symbol, latest.trading_date)) if latest else None
    spark_from = item.sparkline[0][0] if item.sparkline else None
    baseline_from = baselines.get((symbol, spark_from)) if spark_from else None
    spark_ret = _window_return(first, last)
    baseline_ret = (
        _window_return(baseline_from.total_equity, baseline.total_equity) if baseline_from and baseline else None
    )
    return {
        "strategy": item.strategy,
        "latest": latest,
        "cell_label": display.cell_label(latest.strategy_cell) if latest else display.MISSING,
        "spark_points": sparkline_points(equities),
        "spark_class": display.sign_class((last - first) if equities else None),
        "spark_from": spark_from,
        "spark_to": item.sparkline[-1][0] if item.sparkline else None,
        "spark_sessions": len(equities),
        "spark_return": spark_ret,
        "baseline_symbol": symbol,
        "baseline": baseline,
        "baseline_window_return": baseline_ret,
        "excess_cumulative": (latest.cumulative_return - baseline.cumulative_return)
        if latest and baseline and latest.cumulative_return is not None and baseline.cumulative_return is not None
        else None,
        "live": (live or {}).get(item.strategy.strategy_id),
    }


def overview_context(
    items: list[OverviewItem], *, mode: str, user=None, live: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The overview's cards (one query for every baseline row they compare with); a strategy without rows in
    ``mode`` gets the dates its hint may use (``run_range``)."""
    from performance.selectors import daily_performance_baselines_on

    symbols = {(i.latest.baseline_symbol if i.latest else "") or i.strategy.baseline_symbol for i in items}
    dates = {i.latest.trading_date for i in items if i.latest} | {i.sparkline[0][0] for i in items if i.sparkline}
    baselines = daily_performance_baselines_on({s for s in symbols if s}, mode, dates) if dates else {}
    cards = [overview_card(item, baselines=baselines, live=live) for item in items]
    ranges = empty_run_ranges([card["strategy"] for card in cards if not card["latest"]])
    for card in cards:
        card["run_range"] = ranges.get(card["strategy"].strategy_id)
    return {
        "mode": mode,
        "mode_label": Mode(mode).label,
        "modes": Mode.choices,
        "cards": cards,
        "has_data": any(card["latest"] for card in cards),
        "last_eod": eod_status_recent(days=1).first(),
        "admin_hints": admin_hints(user),
    }


# --- performance page ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceSelection:
    """What the performance page shows: validated from the query string, defaults where it was wrong."""

    mode: str
    range: str
    start: date | None
    end: date | None
    strategy_ids: list[str]


def strategy_choices() -> list[Strategy]:
    """Strategies the page may compare: active ones first, then the rest (one query)."""
    return list(strategies_list().order_by("-is_active", "execution_order", "strategy_id"))


def performance_selection(form: PerformanceFilterForm, strategies: list[Strategy]) -> PerformanceSelection:
    """The selection from a bound form; each invalid field falls back to its default (the form shows why)."""
    if form.is_bound:
        form.is_valid()  # fills cleaned_data with the valid fields and errors with the rest
    data = form.cleaned_data if form.is_bound else {}

    def valid_field(name: str) -> bool:
        return form.is_bound and name not in form.errors

    chosen = data.get("strategy") if valid_field("strategy") else None
    if not chosen:
        primary = [s.strategy_id for s in strategies if s.is_primary and s.is_active]
        active = [s.strategy_id for s in strategies if s.is_active]
        chosen = (primary or active or [s.strategy_id for s in strategies])[:1]
    dates_ok = valid_field("start") and valid_field("end")
    return PerformanceSelection(
        mode=(data.get("mode") if valid_field("mode") else None) or DEFAULT_MODE,
        range=(data.get("range") if valid_field("range") and dates_ok else None) or DEFAULT_RANGE,
        start=data.get("start") if dates_ok else None,
        end=data.get("end") if dates_ok else None,
        strategy_ids=list(chosen)[:MAX_COMPARED_STRATEGIES],
    )


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def range_bounds(range_key: str, *, as_of: date, start: date | None, end: date | None) -> tuple[date | None, date]:
    """``(start, end)`` of a preset range ending at ``as_of`` (the latest data date), or the custom dates."""
    if range_key == "custom":
        return start, end or as_of
    months = {"1M": 1, "3M": 3, "1Y": 12, "3Y": 36}.get(range_key)
    if months is not None:
        return _months_before(as_of, months), as_of
    if range_key == "YTD":
        return date(as_of.year, 1, 1), as_of
    return None, as_of  # ALL


def _series_label(series: ChartSeries, names: dict[str, str]) -> str:
    if series.entity_type == EntityType.BASELINE:
        return f"{series.entity_id} (buy & hold)"
    return names.get(series.entity_id, series.entity_id)


def _range_kpis(series: ChartSeries, risk_free_rate: float) -> dict[str, Any]:
    metrics = analyze_performance(
        list(zip(series.dates, series.equity, strict=True)),
        initial_capital=series.capital,  # from the initial capital when the range starts at the first day
        risk_free_rate=risk_free_rate,
    )
    return {
        "end_equity": display.fmt_money(series.equity[-1]),
        "total_return": display.fmt_pct(metrics.total_return, signed=True),
        "total_return_css": display.sign_class(metrics.total_return),
        "cagr": display.fmt_pct(metrics.cagr, signed=True),
        "volatility": display.fmt_pct(metrics.volatility),
        "sharpe": display.fmt_ratio(metrics.sharpe),
        "sortino": display.fmt_ratio(metrics.sortino),
        "max_drawdown": display.fmt_pct(metrics.max_drawdown),
        "calmar": display.fmt_ratio(metrics.calmar),
    }


def _chart_payload(series: ChartSeries, label: str) -> dict[str, Any]:
    equity = [float(value) for value in series.equity]
    base = float(series.capital) if series.capital is not None else (equity[0] if equity else 1.0)
    return {
        "label": label,
        "kind": series.entity_type,
        "dates": [day.isoformat() for day in series.dates],
        "equity": equity,
        "growth": [value / base - 1.0 for value in equity],  # the same base as the KPI table's return
        "drawdown": series.drawdown,
        "cell": series.cells if series.entity_type == EntityType.STRATEGY else [],
    }


def performance_context(selection: PerformanceSelection, strategies: list[Strategy], *, user=None) -> dict[str, Any]:
    """Charts, KPI table and the resolved date range for one selection (3 queries whatever the range); without
    any row, the dates the empty state's hint may use (``run_range``, of the first selected strategy)."""
    names = {s.strategy_id: s.display_name for s in strategies}
    as_of = daily_performance_latest_date(selection.strategy_ids, selection.mode) if selection.strategy_ids else None
    context: dict[str, Any] = {
        "admin_hints": admin_hints(user),
        "selection": selection,
        "as_of": as_of,
        "range_choices": [choice for choice in RANGE_CHOICES if choice[0] != "custom"],
        "mode_label": Mode(selection.mode).label,
        "selected_names": [names.get(i, i) for i in selection.strategy_ids],
        "kpi_rows": [],
        "chart_data": None,
    }
    if as_of is None:
        first = [s for s in strategies if s.strategy_id in selection.strategy_ids[:1]]
        context["run_range"] = empty_run_ranges(first).get(selection.strategy_ids[0]) if first else None
        return context
    start, end = range_bounds(selection.range, as_of=as_of, start=selection.start, end=selection.end)
    by_id = {s.strategy_id: s for s in strategies}
    symbols = list(dict.fromkeys(by_id[i].baseline_symbol for i in selection.strategy_ids if by_id[i].baseline_symbol))
    comparison = daily_performance_chart_series(selection.strategy_ids, symbols, selection.mode, start, end)
    risk_free_rate = float(resolve_value("performance.risk_free_rate"))
    kpi_rows, chart_series = [], []
    for series in comparison:
        label = _series_label(series, names)
        row: dict[str, Any] = {"label": label, "kind": series.entity_type, "rows": len(series.dates)}
        if series.dates:
            row.update(_range_kpis(series, risk_free_rate))
            row["first_date"], row["last_date"] = series.dates[0], series.dates[-1]
            is_strategy = series.entity_type == EntityType.STRATEGY
            row["win_rate"] = display.fmt_pct(series.last_win_rate) if is_strategy else ""
            chart_series.append(_chart_payload(series, label))
        kpi_rows.append(row)
    first_dates = [row["first_date"] for row in kpi_rows if row.get("first_date")]
    context.update(
        start=start,
        shown_start=start or (min(first_dates) if first_dates else None),  # "all": the first day shown, as a date
        end=end,
        kpi_rows=kpi_rows,
        chart_data={"series": chart_series, "cell_names": {str(k): v for k, v in display.REGIME_CELL_NAMES.items()}}
        if chart_series
        else None,
    )
    return context
