"""Data for the overview (``/``) and performance (``/performance/``) pages.

Reads go through ``performance.selectors`` (plus two small private reads that it does not offer yet); the rest
shapes the rows into plain dicts for the templates and the charts' ``json_script`` payloads. Range KPIs come
from the analyzer — the one implementation of the metrics — on the rows' daily equity.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Max

from jutsu.conf.resolver import resolve_value
from performance.forms import DEFAULT_MODE, DEFAULT_RANGE, PerformanceFilterForm
from performance.models import DailyPerformance, EntityType
from performance.selectors import (
    MAX_COMPARED_STRATEGIES,
    ComparisonSeries,
    OverviewItem,
    daily_performance_comparison,
    eod_status_recent,
)
from strategies import display
from strategies.engine.analyzer import analyze_performance
from strategies.models import Strategy
from trading.modes import Mode

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 40, 2


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


def overview_card(item: OverviewItem) -> dict[str, Any]:
    """One strategy card: identity, latest KPIs and regime (None before its first row), sparkline."""
    equities = [equity for _, equity in item.sparkline]
    first, last = (equities[0], equities[-1]) if equities else (None, None)
    return {
        "strategy": item.strategy,
        "latest": item.latest,
        "cell_label": display.cell_label(item.latest.strategy_cell) if item.latest else display.MISSING,
        "spark_points": sparkline_points(equities),
        "spark_class": display.sign_class((last - first) if equities else None),
        "spark_from": item.sparkline[0][0] if item.sparkline else None,
        "spark_to": item.sparkline[-1][0] if item.sparkline else None,
    }


def overview_context(items: list[OverviewItem], *, mode: str) -> dict[str, Any]:
    cards = [overview_card(item) for item in items]
    return {
        "mode": mode,
        "mode_label": Mode(mode).label,
        "modes": Mode.choices,
        "cards": cards,
        "has_data": any(card["latest"] for card in cards),
        "last_eod": eod_status_recent(days=1).first(),
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
    return list(Strategy.objects.order_by("-is_active", "execution_order", "strategy_id"))


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


def _latest_trading_date(strategy_ids: list[str], mode: str) -> date | None:
    """Newest trading date of any of these strategies in ``mode`` (private read; one query)."""
    return DailyPerformance.objects.filter(
        entity_type=EntityType.STRATEGY, entity_id__in=strategy_ids, mode=mode
    ).aggregate(latest=Max("trading_date"))["latest"]


def _series_label(series: ComparisonSeries, names: dict[str, str]) -> str:
    if series.entity_type == EntityType.BASELINE:
        return f"{series.entity_id} (buy & hold)"
    return names.get(series.entity_id, series.entity_id)


def _range_kpis(rows: list[DailyPerformance], risk_free_rate: float) -> dict[str, Any]:
    metrics = analyze_performance(
        [(row.trading_date, row.total_equity) for row in rows], risk_free_rate=risk_free_rate
    ).as_dict()
    return {
        "end_equity": display.fmt_money(rows[-1].total_equity),
        "total_return": display.fmt_pct(metrics["total_return"], signed=True),
        "total_return_css": display.sign_class(metrics["total_return"]),
        "cagr": display.fmt_pct(metrics["cagr"], signed=True),
        "volatility": display.fmt_pct(metrics["volatility"]),
        "sharpe": display.fmt_ratio(metrics["sharpe"]),
        "sortino": display.fmt_ratio(metrics["sortino"]),
        "max_drawdown": display.fmt_pct(metrics["max_drawdown"]),
        "calmar": display.fmt_ratio(metrics["calmar"]),
    }


def _chart_series(series: ComparisonSeries, label: str) -> dict[str, Any]:
    rows = series.rows
    first = float(rows[0].total_equity) if rows else None
    return {
        "label": label,
        "kind": series.entity_type,
        "dates": [row.trading_date.isoformat() for row in rows],
        "equity": [float(row.total_equity) for row in rows],
        "growth": [float(row.total_equity) / first - 1.0 for row in rows] if first else [],
        "drawdown": [row.drawdown for row in rows],
        "cell": [row.strategy_cell for row in rows] if series.entity_type == EntityType.STRATEGY else [],
    }


def performance_context(selection: PerformanceSelection, strategies: list[Strategy]) -> dict[str, Any]:
    """Charts, KPI table and the resolved date range for one selection (4–5 queries whatever the range)."""
    names = {s.strategy_id: s.display_name for s in strategies}
    as_of = _latest_trading_date(selection.strategy_ids, selection.mode) if selection.strategy_ids else None
    context: dict[str, Any] = {
        "selection": selection,
        "as_of": as_of,
        "range_choices": [("1M", "1M"), ("3M", "3M"), ("YTD", "YTD"), ("1Y", "1Y"), ("3Y", "3Y"), ("ALL", "All")],
        "mode_label": Mode(selection.mode).label,
        "selected_names": [names.get(i, i) for i in selection.strategy_ids],
        "kpi_rows": [],
        "chart_data": None,
    }
    if as_of is None:
        return context
    start, end = range_bounds(selection.range, as_of=as_of, start=selection.start, end=selection.end)
    comparison = daily_performance_comparison(selection.strategy_ids, selection.mode, start, end)
    risk_free_rate = float(resolve_value("performance.risk_free_rate"))
    kpi_rows, chart_series = [], []
    for series in comparison:
        label = _series_label(series, names)
        latest = series.rows[-1] if series.rows else None
        row: dict[str, Any] = {"label": label, "kind": series.entity_type, "rows": len(series.rows)}
        if series.rows:
            row.update(_range_kpis(series.rows, risk_free_rate))
            row["first_date"], row["last_date"] = series.rows[0].trading_date, latest.trading_date
            row["win_rate"] = display.fmt_pct(latest.win_rate) if series.entity_type == EntityType.STRATEGY else ""
            chart_series.append(_chart_series(series, label))
        kpi_rows.append(row)
    context.update(
        start=start,
        end=end,
        kpi_rows=kpi_rows,
        chart_data={"series": chart_series, "cell_names": {str(k): v for k, v in display.REGIME_CELL_NAMES.items()}}
        if chart_series
        else None,
    )
    return context
