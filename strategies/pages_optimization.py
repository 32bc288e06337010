"""Table rows and chart data of the optimisation pages (``/optimizations/…``), from one loaded run."""

from __future__ import annotations

from typing import Any

from strategies import display
from strategies.models import OptimizationKind, OptimizationRun, OptimizationStatus, TrialStatus
from strategies.selectors import optimization_trial_counts
from strategies.services.optimization_analysis import optimization_export

ROWS_SHOWN = 200
VERDICTS = {
    "robust": (
        "Robust",
        "good",
        "The winner survives the multiple-testing, cross-validation and neighbourhood checks.",
    ),
    "inconclusive": ("Inconclusive", "warn", "Some checks pass, some do not: treat the winner with care."),
    "likely_overfit": ("Likely overfit", "bad", "The winner is more likely luck than a real edge."),
}
METRIC_COLUMNS = (
    ("total_return", "Return", "pct"),
    ("cagr", "CAGR", "pct"),
    ("max_drawdown", "Max DD", "pct"),
    ("sharpe", "Sharpe", "num"),
    ("total_trades", "Trades", "int"),
)
_FORMAT = {"pct": display.fmt_pct, "num": lambda v: display.fmt_ratio(v, 3), "int": display.fmt_int}


def varied_parameters(run: OptimizationRun) -> list[str]:
    """Grid parameters with more than one value, or every searched parameter (the columns that tell trials apart)."""
    if run.kind == OptimizationKind.SEARCH:
        return list(run.space or {})
    return [name for name, values in (run.space or {}).items() if isinstance(values, list) and len(values) > 1]


def _ranked_rows(run: OptimizationRun, results: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    rows = []
    for row in results[:ROWS_SHOWN]:
        metrics = row["metrics"]
        rows.append(
            {
                "rank": row["rank"],
                "number": row["number"],
                "params": [row["params"].get(name) for name in names],
                "metric": display.fmt_ratio(metrics.get(run.metric), 3),
                "cells": [_FORMAT[kind](metrics.get(key)) for key, _label, kind in METRIC_COLUMNS],
            }
        )
    return rows


def _audit(audit: dict[str, Any]) -> dict[str, Any] | None:
    if not audit or "verdict" not in audit:
        return None
    label, css, meaning = VERDICTS.get(audit["verdict"], (audit["verdict"], "", ""))
    plateau = audit.get("plateau") or {}
    return {
        "label": label,
        "css": css,
        "meaning": meaning,
        "deflated_sharpe": display.fmt_ratio(audit.get("deflated_sharpe"), 3),
        "pbo": display.fmt_pct(audit.get("pbo"), 1),
        "plateau_drop": display.fmt_pct(plateau.get("drop"), 1),
        "reasons": audit.get("reasons") or [],
        "n_trials": audit.get("n_trials"),
        "note": audit.get("note"),
    }


def optimization_chart_data(run: OptimizationRun, document: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Everything the page's charts draw: results for the heatmap, OOS equity, Monte Carlo histograms."""
    data: dict[str, Any] = {"run_id": run.pk, "kind": run.kind, "status": run.status, "metric": run.metric}
    if run.kind == OptimizationKind.MONTECARLO:
        data["histograms"] = document.get("histograms") or {}
        data["observed"] = document.get("observed") or {}
        return data
    data["parameters"] = names
    data["results"] = [
        {"params": {n: r["params"].get(n) for n in names}, "value": r["metrics"].get(run.metric)}
        for r in document.get("results") or []
    ]
    if run.kind == OptimizationKind.WALKFORWARD:
        data["oos_equity"] = document.get("oos_equity") or []
        data["windows"] = [{"start": w["oos_start"], "end": w["oos_end"]} for w in document.get("windows") or []]
    return data


def _windows(document: dict[str, Any], metric: str) -> list[dict[str, Any]]:
    return [
        {
            "index": w["index"] + 1,
            "is_range": f"{w['is_start']} → {w['is_end']}",
            "oos_range": f"{w['oos_start']} → {w['oos_end']}",
            "params": ", ".join(f"{k}={v}" for k, v in w["best_params"].items()),
            "is_metric": display.fmt_ratio(w["is_metrics"].get(metric), 3),
            "oos_metric": display.fmt_ratio(w["oos_metrics"].get(metric), 3),
            "oos_return": display.fmt_pct(w["oos_metrics"].get("total_return"), signed=True),
        }
        for w in document.get("windows") or []
    ]


def _percentiles(document: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, label, kind in (
        ("total_return", "Total return", "pct"),
        ("cagr", "CAGR", "pct"),
        ("sharpe", "Sharpe", "num"),
        ("max_drawdown", "Max drawdown", "pct"),
    ):
        values = (document.get("percentiles") or {}).get(key) or {}
        observed = (document.get("observed") or {}).get(key)
        cells = [_FORMAT[kind](values.get(p)) for p in ("p5", "p25", "p50", "p75", "p95")]
        rows.append({"label": label, "cells": cells, "observed": _FORMAT[kind](observed)})
    return rows


def optimization_detail_context(run: OptimizationRun) -> dict[str, Any]:
    """Everything the detail template shows, from the one loaded run."""
    document = optimization_export(run)
    names = varied_parameters(run)
    context: dict[str, Any] = {"run": run, "document": document, "param_names": names}
    if run.kind == OptimizationKind.MONTECARLO:
        context.update(percentiles=_percentiles(document), has_charts=bool(document.get("histograms")))
    else:
        counts = document.get("trials") or optimization_trial_counts(run.pk)
        done = counts[TrialStatus.COMPLETED] + counts[TrialStatus.FAILED]
        context.update(
            counts=counts,
            done=done,
            progress_pct=round(100 * done / run.total_trials) if run.total_trials else 100,
            running=run.status in (OptimizationStatus.PENDING, OptimizationStatus.RUNNING),
            rows=_ranked_rows(run, document["results"], names),
            results_total=len(document["results"]),
            rows_shown=ROWS_SHOWN,
            metric_columns=[label for _key, label, _kind in METRIC_COLUMNS],
            audit=_audit(run.audit),
            windows=_windows(document, run.metric),
            efficiency=display.fmt_ratio(document.get("efficiency"), 3),
            stability=(document.get("stability") or {}).get("score"),
            has_charts=bool(document["results"]),
        )
    context["chart_data"] = optimization_chart_data(run, document, names)
    return context
