"""Reads of strategies and backtest runs (the API, the pages and other apps read through here)."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Q, QuerySet

from jutsu.errors import NotFound
from strategies.models import (
    BacktestRun,
    BacktestStatus,
    OptimizationRun,
    OptimizationTrial,
    Strategy,
    TrialStatus,
)

# The heavy per-day JSON columns of a run: lists never load them.
SERIES_FIELDS = ("equity_curve", "baseline_curve", "fills", "trades", "regime", "warnings", "params", "config")


def strategies_list(*, active_only: bool = False) -> QuerySet[Strategy]:
    """Strategies in execution order."""
    rows = Strategy.objects.all()
    return rows.filter(is_active=True) if active_only else rows


def strategy_get(strategy_id: str) -> Strategy:
    """The strategy row, or NotFound listing the known ids."""
    row = Strategy.objects.filter(strategy_id=strategy_id).first()
    if row is None:
        known = ", ".join(Strategy.objects.values_list("strategy_id", flat=True)) or "none — run sync_strategies"
        raise NotFound(f"unknown strategy {strategy_id!r} (known: {known})")
    return row


def backtest_runs_list(*, strategy_id: str | None = None, status: str | None = None) -> QuerySet[BacktestRun]:
    """Runs newest first with their strategy and starter, without the heavy series (one query)."""
    runs = BacktestRun.objects.select_related("strategy", "started_by").defer(*SERIES_FIELDS)
    if strategy_id:
        runs = runs.filter(strategy_id_text=strategy_id)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-id")


def backtest_run_get(run_id: int) -> BacktestRun | None:
    """One run with everything it produced, or ``None``."""
    return BacktestRun.objects.select_related("strategy", "started_by").filter(pk=run_id).first()


def backtest_runs_get(run_ids: list[int]) -> list[BacktestRun]:
    """The runs with these ids that exist, with everything they produced, in the order asked."""
    runs = {run.pk: run for run in BacktestRun.objects.select_related("strategy").filter(pk__in=run_ids)}
    return [runs[run_id] for run_id in run_ids if run_id in runs]


def backtest_run_status(run_id: int) -> dict | None:
    """``{"id", "status", "error"}`` of a run (no series loaded), or ``None``."""
    return BacktestRun.objects.filter(pk=run_id).values("id", "status", "error").first()


def backtest_run_completed(*, strategy_id: str, start: date, end: date) -> BacktestRun | None:
    """The newest completed run of ``strategy_id`` over exactly ``[start, end]``, or ``None``."""
    runs = BacktestRun.objects.filter(
        strategy_id_text=strategy_id, status=BacktestStatus.COMPLETED, start_date=start, end_date=end
    )
    return runs.order_by("-id").first()


# --------------------------------------------------------------------------------------- optimisation

TRIAL_SERIES_FIELDS = ("dates", "equity")
RUN_HEAVY_FIELDS = ("summary", "space", "fixed_params", "options")


def optimization_runs_list(*, kind: str | None = None, status: str | None = None) -> QuerySet[OptimizationRun]:
    """Runs newest first with their strategy, starter and trial counts, without the heavy results (one query)."""
    runs = (
        OptimizationRun.objects.select_related("strategy", "started_by")
        .defer(*RUN_HEAVY_FIELDS)
        .annotate(
            completed_trials=Count("trials", filter=Q(trials__status=TrialStatus.COMPLETED)),
            failed_trials=Count("trials", filter=Q(trials__status=TrialStatus.FAILED)),
        )
    )
    if kind:
        runs = runs.filter(kind=kind)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-id")


def optimization_run_get(run_id: int) -> OptimizationRun | None:
    """One run with everything it stored (not its trials), or ``None``."""
    return OptimizationRun.objects.select_related("strategy", "started_by", "backtest").filter(pk=run_id).first()


def optimization_trials_ranked(run_id: int, *, series: bool = False) -> QuerySet[OptimizationTrial]:
    """Completed trials best first (ranking value descending, undefined last, then trial number)."""
    trials = OptimizationTrial.objects.filter(run_id=run_id, status=TrialStatus.COMPLETED)
    if not series:
        trials = trials.defer(*TRIAL_SERIES_FIELDS)
    return trials.order_by(F("value").desc(nulls_last=True), "number")


def optimization_trials_failed(run_id: int) -> QuerySet[OptimizationTrial]:
    """Failed trials in trial order (without their series)."""
    return (
        OptimizationTrial.objects.filter(run_id=run_id, status=TrialStatus.FAILED)
        .defer(*TRIAL_SERIES_FIELDS)
        .order_by("number")
    )


def optimization_trial_counts(run_id: int) -> dict[str, int]:
    """Trials of the run by status (every status present, zeros included) — one query."""
    rows = OptimizationTrial.objects.filter(run_id=run_id).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in TrialStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
