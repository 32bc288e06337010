"""What a finished optimisation says: ranking summary, walk-forward, overfitting audit, Monte Carlo, export.

Rows become plain arrays here and the numeric core (``strategies.engine.optimize``) does the maths; the
results are stored as JSON on the run.
"""

from __future__ import annotations

import math
import secrets
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

from jutsu.conf.resolver import resolve_value
from jutsu.errors import DataMissing, InvalidParameter, NotFound
from strategies.engine.analyzer import analyze_performance
from strategies.engine.optimize import (
    MONTE_CARLO_METHODS,
    audit_verdict,
    deflated_sharpe_from_returns,
    grid_neighbours,
    monte_carlo,
    nearest_trials,
    param_key,
    plateau_check,
    probability_of_backtest_overfitting,
    walk_forward,
)
from strategies.models import BacktestStatus, OptimizationKind, OptimizationRun, OptimizationStatus
from strategies.selectors import (
    backtest_run_get,
    optimization_trial_counts,
    optimization_trials_failed,
    optimization_trials_ranked,
)

PBO_MAX_SPLITS = 16
GRID_KINDS = (OptimizationKind.GRID, OptimizationKind.WALKFORWARD, OptimizationKind.SEARCH)


def _risk_free() -> float:
    return float(resolve_value("performance.risk_free_rate"))


def _risk_free_daily(periods_per_year: int = 252) -> float:
    return (1.0 + _risk_free()) ** (1.0 / periods_per_year) - 1.0


def _curve(trial) -> pd.Series:
    return pd.Series(trial.equity, index=pd.DatetimeIndex(trial.dates), dtype=float)


def _params(run: OptimizationRun, trial) -> dict[str, Any]:
    return {**run.fixed_params, **trial.params}


def optimization_summary(run: OptimizationRun) -> dict[str, Any]:
    """The best trial and, for a walk-forward run, the walk-forward analysis of its trials."""
    ranked = list(optimization_trials_ranked(run.pk, series=run.kind == OptimizationKind.WALKFORWARD))
    if not ranked:
        raise InvalidParameter("no completed trial to summarise")
    best = ranked[0]
    summary: dict[str, Any] = {
        "best": {"number": best.number, "params": _params(run, best), "metrics": best.metrics, "value": best.value}
    }
    if run.kind == OptimizationKind.WALKFORWARD:
        summary["walkforward"] = optimization_walkforward(run, ranked)
    return summary


def optimization_walkforward(run: OptimizationRun, trials) -> dict[str, Any]:
    """Walk-forward over the completed trials' equity curves (see ``strategies.engine.optimize.walkforward``)."""
    ordered = sorted(trials, key=lambda t: t.number)
    curves = {str(t.number): _curve(t) for t in ordered}
    first = next(iter(curves.values()))
    for number, curve in curves.items():
        if not curve.index.equals(first.index):
            raise InvalidParameter(
                f"trial {number} traded on other dates than trial {ordered[0].number}: walk-forward needs every "
                "combination on one calendar (do not vary the traded symbols)"
            )
    risk_free = _risk_free()

    def analyze(curve: pd.Series) -> dict[str, Any]:
        metrics = analyze_performance(curve, risk_free_rate=risk_free).as_dict()
        metrics.pop("regime_cells", None)
        return metrics

    capital = float(run.strategy.initial_capital) if run.strategy else float(first.iloc[0])
    return walk_forward(
        curves,
        {str(t.number): _params(run, t) for t in ordered},
        metric=run.metric,
        analyze=analyze,
        is_bars=int(run.options.get("is_bars", 252)),
        oos_bars=int(run.options.get("oos_bars", 63)),
        initial_equity=capital,
    )


def _returns_matrix(trials) -> np.ndarray:
    """Daily returns of the trials on their common dates (T × N, columns in ``trials`` order)."""
    common = set(trials[0].dates)
    for trial in trials[1:]:
        common &= set(trial.dates)
    dates = sorted(common)
    columns = []
    for trial in trials:
        by_date = dict(zip(trial.dates, trial.equity, strict=True))
        equity = np.array([by_date[d] for d in dates], dtype=float)
        columns.append(equity[1:] / equity[:-1] - 1.0)
    return np.column_stack(columns)


def _splits(n_returns: int) -> int:
    splits = PBO_MAX_SPLITS
    while splits > 2 and n_returns < 2 * splits:
        splits -= 2
    return splits


def _plateau(run: OptimizationRun, ranked) -> dict[str, Any]:
    best = ranked[0]
    if run.kind == OptimizationKind.SEARCH:
        numeric = [
            {k: float(v) for k, v in t.params.items() if isinstance(v, int | float) and not isinstance(v, bool)}
            for t in ranked
        ]
        neighbours = [ranked[i].value for i in nearest_trials(numeric, 0, k=5)] if numeric[0] else []
        return {**plateau_check(best.value, neighbours), "method": "5 nearest trials"}
    by_key = {t.key: t.value for t in ranked}
    scores = [by_key.get(param_key(combo)) for combo in grid_neighbours(run.space, best.params)]
    return {**plateau_check(best.value, scores), "method": "one grid step in one parameter"}


def optimization_audit_compute(run: OptimizationRun) -> dict[str, Any]:
    """Deflated Sharpe ratio of the winner, PBO (CSCV) over all completed trials, plateau check, verdict."""
    if run.kind not in GRID_KINDS:
        raise InvalidParameter(f"run {run.pk} is a {run.kind} run; the audit is for grid, walk-forward and search runs")
    ranked = list(optimization_trials_ranked(run.pk, series=True))
    out: dict[str, Any] = {"metric": run.metric, "n_trials": len(ranked), "deflated_sharpe": None, "pbo": None}
    if len(ranked) < 2:
        out.update(audit_verdict(None, None, None), note="the audit needs at least two completed trials")
        return out
    matrix = _returns_matrix(ranked)
    excess = matrix - _risk_free_daily()
    dsr = deflated_sharpe_from_returns(excess, 0)
    out["deflated_sharpe"] = _float(dsr["deflated_sharpe"])
    out["dsr"] = {k: _float(v) if isinstance(v, float) else v for k, v in dsr.items()}
    if excess.shape[0] >= 4:
        pbo = probability_of_backtest_overfitting(excess, _splits(excess.shape[0]))
        out["pbo"] = pbo["pbo"]
        out["cscv"] = pbo
    plateau = _plateau(run, ranked)
    out["plateau"] = plateau
    out["best_number"] = ranked[0].number
    out.update(audit_verdict(out["deflated_sharpe"], out["pbo"], plateau.get("plateau")))
    return out


def optimization_audit(run_id: int) -> dict[str, Any]:
    """Recompute and store the audit of a finished run; returns it (with the run id)."""
    run = OptimizationRun.objects.filter(pk=run_id).select_related("strategy").first()
    if run is None:
        raise NotFound(f"optimisation run {run_id} not found")
    if run.status != OptimizationStatus.COMPLETED:
        raise InvalidParameter(f"run {run_id} is {run.status}; audit a completed run")
    audit = optimization_audit_compute(run)
    OptimizationRun.objects.filter(pk=run_id).update(audit=audit)
    return {"id": run.pk, **audit}


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------- Monte Carlo


def optimization_montecarlo_execute(
    *,
    backtest_id: int,
    paths: int = 1000,
    seed: int | None = None,
    method: str = "bootstrap",
    block_size: int = 20,
    user=None,
) -> OptimizationRun:
    """Resample a completed backtest's daily returns and store the study as a ``montecarlo`` run.

    The returns are the equity curve's day-to-day returns, the first one from the initial capital (so the
    original order compounds to the backtest's total return); CAGR spans the curve's calendar days.

    Without a seed one is drawn and recorded, so every study can be repeated exactly.
    """
    if method not in MONTE_CARLO_METHODS:
        raise InvalidParameter(f"method: {method!r} is not one of {', '.join(MONTE_CARLO_METHODS)}")
    if not 1 <= paths <= 100_000:
        raise InvalidParameter(f"paths: between 1 and 100000, got {paths}")
    if block_size < 1:
        raise InvalidParameter(f"block size: at least 1, got {block_size}")
    backtest = backtest_run_get(backtest_id)
    if backtest is None:
        raise NotFound(f"backtest run {backtest_id} not found")
    if backtest.status != BacktestStatus.COMPLETED or len(backtest.equity_curve) < 3:
        raise DataMissing(f"backtest {backtest_id} is {backtest.status} with {len(backtest.equity_curve)} equity rows")
    # the first return is measured from the initial capital, as the analyzer's total return is
    equity = np.array([float(backtest.initial_capital), *(float(row["equity"]) for row in backtest.equity_curve)])
    first, last = (date.fromisoformat(str(backtest.equity_curve[i]["date"])[:10]) for i in (0, -1))
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    try:
        result = monte_carlo(
            equity[1:] / equity[:-1] - 1.0,
            calendar_days=(last - first).days,
            paths=paths,
            method=method,
            seed=seed,
            block_size=block_size,
            risk_free_daily=_risk_free_daily(),
        )
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from None
    return OptimizationRun.objects.create(
        kind=OptimizationKind.MONTECARLO,
        status=OptimizationStatus.COMPLETED,
        strategy=backtest.strategy,
        strategy_id_text=backtest.strategy_id_text,
        strategy_class=backtest.strategy_class,
        start_date=backtest.start_date,
        end_date=backtest.end_date,
        backtest=backtest,
        options={"paths": paths, "seed": seed, "method": method, "block_size": block_size},
        summary=result,
        started_by=user if getattr(user, "is_authenticated", False) else None,
        finished_at=timezone.now(),
    )


# -------------------------------------------------------------------------------------------- export


def optimization_results(run: OptimizationRun) -> list[dict[str, Any]]:
    """Completed trials best first: rank, trial number, parameters (fixed ones included), metrics."""
    return [
        {"rank": i + 1, "number": t.number, "params": _params(run, t), "value": t.value, "metrics": t.metrics}
        for i, t in enumerate(optimization_trials_ranked(run.pk))
    ]


def optimization_export(run: OptimizationRun) -> dict[str, Any]:
    """The JSON document of a run (``--json`` output and the API detail)."""
    doc: dict[str, Any] = {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "strategy_id": run.strategy_id_text,
        "strategy_class": run.strategy_class,
        "start": run.start_date,
        "end": run.end_date,
        "metric": run.metric,
        "space": run.space,
        "fixed_params": run.fixed_params,
        "options": run.options,
        "total_trials": run.total_trials,
        "error": run.error,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
    }
    if run.kind == OptimizationKind.MONTECARLO:
        doc["backtest_id"] = run.backtest_id
        doc.update(run.summary)
        return doc
    doc["trials"] = optimization_trial_counts(run.pk)
    doc["results"] = optimization_results(run)
    doc["failed"] = [
        {"number": t.number, "params": _params(run, t), "error": t.error} for t in optimization_trials_failed(run.pk)
    ]
    doc["best"] = run.summary.get("best")
    doc["audit"] = run.audit
    if run.kind == OptimizationKind.WALKFORWARD:
        doc.update(run.summary.get("walkforward") or {"windows": [], "oos_equity": [], "efficiency": None})
    return doc
