"""Chart data and table rows for the backtest pages (``/backtests/``, ``/backtests/<id>/``).

The pages read through ``strategies.selectors``; these functions turn one stored run into plain lists for
the template and the charts' ``json_script`` payload.
"""

from __future__ import annotations

from typing import Any

from strategies import display
from strategies.models import BacktestRun

TRADES_SHOWN = 500


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


def backtest_chart_data(run: BacktestRun) -> dict[str, Any]:
    """Series for the equity, drawdown and regime charts (dates ISO, values floats)."""
    dates = [row.get("date") for row in run.equity_curve]
    equity = [display.to_float(row.get("equity")) for row in run.equity_curve]
    baseline_by_date = {row.get("date"): display.to_float(row.get("equity")) for row in run.baseline_curve}
    baseline = [baseline_by_date.get(day) for day in dates] if baseline_by_date else []
    regime_rows = [row for row in run.regime if row.get("cell") is not None]
    baseline_symbol = (run.config or {}).get("baseline_symbol") or (run.config or {}).get("baseline") or "Baseline"
    return {
        "strategy": run.strategy.display_name if run.strategy else run.strategy_id_text,
        "baseline_label": str(baseline_symbol),
        "dates": dates,
        "equity": equity,
        "baseline": baseline,
        "drawdown": _drawdown(equity),
        "baseline_drawdown": _drawdown(baseline) if baseline else [],
        "regime": {
            "dates": [row.get("date") for row in regime_rows],
            "cells": [row.get("cell") for row in regime_rows],
            "trend": [row.get("trend_state") for row in regime_rows],
            "vol": [row.get("vol_state") for row in regime_rows],
        },
        "cell_names": {str(cell): name for cell, name in display.REGIME_CELL_NAMES.items()},
    }


def backtest_trades_shown(run: BacktestRun) -> list[dict[str, Any]]:
    """The latest ``TRADES_SHOWN`` closed trades, newest first, formatted for the table."""
    rows = []
    for trade in reversed(run.trades[-TRADES_SHOWN:]):
        rows.append(
            {
                "symbol": trade.get("symbol"),
                "entry_date": trade.get("entry_date"),
                "exit_date": trade.get("exit_date"),
                "qty": display.fmt_ratio(trade.get("qty"), 0),
                "entry_price": display.fmt_money(trade.get("entry_price")),
                "exit_price": display.fmt_money(trade.get("exit_price")),
                "pnl": display.fmt_money(trade.get("pnl")),
                "ret": display.fmt_pct(trade.get("ret"), signed=True),
                "css": display.sign_class(trade.get("pnl")),
                "holding_days": trade.get("holding_days"),
            }
        )
    return rows


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


def backtest_detail_context(run: BacktestRun) -> dict[str, Any]:
    """Everything the detail template shows, from the one loaded row."""
    params = run.params or {}
    return {
        "run": run,
        "chart_data": backtest_chart_data(run),
        "has_curve": bool(run.equity_curve),
        "has_regime": any(row.get("cell") is not None for row in run.regime),
        "metric_rows": display.metric_rows(run.metrics or {}),
        "regime_cells": backtest_regime_cells(run),
        "params": sorted(params.items()),
        "config_items": sorted((run.config or {}).items()),
        "trades": backtest_trades_shown(run),
        "trades_total": len(run.trades),
        "trades_shown_limit": TRADES_SHOWN,
        "fills_count": len(run.fills),
    }
