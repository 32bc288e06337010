"""Chart data and table rows for the backtest pages (``/backtests/``, ``/backtests/<id>/``).

The pages read through ``strategies.selectors``; these functions turn one stored run into plain lists for
the template and the charts' ``json_script`` payload: series downsampled for display (the full series are
one click away), trades as round trips (entry to exit of a position), paged.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

from strategies import display
from strategies.downsample import change_indices, extremes_indices, pick
from strategies.engine.round_trips import RoundTrip, round_trips
from strategies.models import BacktestRun, BacktestStatus

TRADES_PER_PAGE = 50
ROUND_TRIP_COLUMNS = (
    "symbol", "direction", "entry_date", "exit_date", "qty", "fills", "entry_price", "exit_price", "commission",
    "pnl", "return",
)  # fmt: skip


def _drawdown(values: list[float | None]) -> list[float | None]:
    """``E_t / max_{s≤t} E_s − 1`` (fraction, ≤ 0) along a curve; ``None`` where the equity is missing."""
    peak = None
    out: list[float | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        peak = value if peak is None else max(peak, value)
        out.append(value / peak - 1.0 if peak > 0 else None)
    return out


def backtest_chart_data(run: BacktestRun, *, full: bool = False) -> dict[str, Any]:
    """Series for the equity, drawdown and regime charts (dates ISO, values floats).

    Downsampled for display (``strategies.downsample``: every bucket's extremes, the first and the last
    point; the regime at its changes) unless ``full``; ``points``/``points_total`` say how many are shown.
    """
    dates = [row.get("date") for row in run.equity_curve]
    equity = [display.to_float(row.get("equity")) for row in run.equity_curve]
    baseline_by_date = {row.get("date"): display.to_float(row.get("equity")) for row in run.baseline_curve}
    baseline = [baseline_by_date.get(day) for day in dates] if baseline_by_date else []
    drawdown, baseline_drawdown = _drawdown(equity), _drawdown(baseline) if baseline else []
    regime_rows = [row for row in run.regime if row.get("cell") is not None]
    if full:
        keep = list(range(len(dates)))
        regime_keep = list(range(len(regime_rows)))
    else:
        keep = extremes_indices([equity, baseline, drawdown])
        regime_keep = change_indices([(r.get("cell"), r.get("trend_state"), r.get("vol_state")) for r in regime_rows])
    regime_rows = pick(regime_rows, regime_keep)
    baseline_symbol = (run.config or {}).get("baseline_symbol") or (run.config or {}).get("baseline") or "Baseline"
    return {
        "run_id": run.pk,
        "strategy": run.strategy.display_name if run.strategy else run.strategy_id_text,
        "baseline_label": str(baseline_symbol),
        "points": len(keep),
        "points_total": len(dates),
        "dates": pick(dates, keep),
        "equity": pick(equity, keep),
        "baseline": pick(baseline, keep),
        "drawdown": pick(drawdown, keep),
        "baseline_drawdown": pick(baseline_drawdown, keep),
        "regime": {
            "dates": [row.get("date") for row in regime_rows],
            "cells": [row.get("cell") for row in regime_rows],
            "trend": [row.get("trend_state") for row in regime_rows],
            "vol": [row.get("vol_state") for row in regime_rows],
        },
        "cell_names": {str(cell): name for cell, name in display.REGIME_CELL_NAMES.items()},
    }


def backtest_round_trips(run: BacktestRun) -> list[RoundTrip]:
    """The run's fills as round trips (one row per position from flat to flat), newest entry first."""
    return list(reversed(round_trips(run.fills)))


def round_trip_row(trip: RoundTrip) -> dict[str, Any]:
    """One round trip formatted for the table."""
    return {
        "symbol": trip.symbol,
        "direction": trip.direction,
        "entry_date": trip.entry_date,
        "exit_date": trip.exit_date,
        "qty": display.fmt_int(trip.qty),
        "fills": trip.fills,
        "entry_price": display.fmt_money(trip.entry_price),
        "exit_price": display.fmt_money(trip.exit_price),
        "pnl": display.fmt_money(trip.pnl),
        "ret": display.fmt_pct(trip.ret, signed=True),
        "css": display.sign_class(trip.pnl),
    }


def backtest_trades_page(run: BacktestRun, page_number: Any) -> Page:
    """One page of round trips (``TRADES_PER_PAGE``, newest first); rows formatted for the table."""
    page = Paginator(backtest_round_trips(run), TRADES_PER_PAGE).get_page(page_number)
    page.object_list = [round_trip_row(trip) for trip in page.object_list]
    return page


def round_trip_csv_rows(run: BacktestRun) -> list[dict[str, Any]]:
    """Every round trip, oldest first, for the CSV export (numbers unformatted)."""
    return [
        {
            "symbol": t.symbol,
            "direction": t.direction,
            "entry_date": t.entry_date,
            "exit_date": t.exit_date or "",
            "qty": t.qty,
            "fills": t.fills,
            "entry_price": f"{t.entry_price:.6f}",
            "exit_price": "" if t.exit_price is None else f"{t.exit_price:.6f}",
            "commission": f"{t.commission:.6f}",
            "pnl": "" if t.pnl is None else f"{t.pnl:.6f}",
            "return": "" if t.ret is None else t.ret,
        }
        for t in round_trips(run.fills)
    ]


def backtest_regime_cells(run: BacktestRun) -> list[dict[str, Any]]:
    """Per-cell days and returns from the metrics (``regime_cells``), labelled."""
    rows = []
    for cell in (run.metrics or {}).get("regime_cells") or []:
        rows.append(
            {
                "label": display.cell_label(cell.get("cell")),
                "days": cell.get("days"),
                "strategy_return": display.fmt_pct(cell.get("strategy_return"), signed=True),
                "strategy_css": display.sign_class(cell.get("strategy_return")),
                "baseline_return": display.fmt_pct(cell.get("baseline_return"), signed=True),
            }
        )
    return rows


def backtest_detail_context(run: BacktestRun, *, trades_page: Any = 1) -> dict[str, Any]:
    """Everything the detail template shows, from the one loaded row."""
    params = run.params or {}
    trades = backtest_trades_page(run, trades_page)
    return {
        "run": run,
        "finished": run.status in (BacktestStatus.COMPLETED, BacktestStatus.FAILED),
        "chart_data": backtest_chart_data(run),
        "has_curve": bool(run.equity_curve),
        "has_regime": any(row.get("cell") is not None for row in run.regime),
        "metric_rows": display.metric_rows(run.metrics or {}),
        "regime_cells": backtest_regime_cells(run),
        "params": sorted(params.items()),
        "config_items": sorted((k, v) for k, v in (run.config or {}).items() if k != "request"),
        "trades_page": trades,
        "trades": trades.object_list,
        "lots_total": len(run.trades),
        "fills_count": len(run.fills),
    }


COMPARE_MIN, COMPARE_MAX = 2, 3


def backtest_compare_context(runs: list[BacktestRun]) -> dict[str, Any]:
    """Two or three runs side by side: metrics, parameters (differences marked) and their curves as
    returns since each run's start (runs with different capital compare), downsampled for display."""
    columns = [{"run": run, "label": f"#{run.pk} {run.strategy_id_text}"} for run in runs]
    metric_rows_by_run = [{row["key"]: row for row in display.metric_rows(run.metrics or {})} for run in runs]
    keys = list(dict.fromkeys(key for rows in metric_rows_by_run for key in rows))
    metrics = [
        {
            "label": display.metric_label(key),
            "cells": [rows.get(key, {"value": display.MISSING, "css": ""}) for rows in metric_rows_by_run],
        }
        for key in keys
    ]
    param_names = sorted({name for run in runs for name in (run.params or {})})
    params = []
    for name in param_names:
        values = [(run.params or {}).get(name, display.MISSING) for run in runs]
        params.append({"name": name, "values": values, "differs": len({repr(v) for v in values}) > 1})
    series = []
    for column, run in zip(columns, runs, strict=True):
        data = backtest_chart_data(run)
        start = next((value for value in data["equity"] if value), None)
        growth = [None if v is None or not start else v / start - 1.0 for v in data["equity"]]
        series.append({"label": column["label"], "dates": data["dates"], "ret": growth, "drawdown": data["drawdown"]})
    return {
        "columns": columns,
        "metrics": metrics,
        "params": params,
        "differing_params": sum(1 for row in params if row["differs"]),
        "chart_data": {"series": series},
    }
