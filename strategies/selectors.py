"""Reads of strategies and backtest runs."""

from __future__ import annotations

from django.db.models import QuerySet

from strategies.models import BacktestRun, Strategy

LIST_FIELDS = (
    "id",
    "strategy_id_text",
    "strategy_class",
    "status",
    "start_date",
    "end_date",
    "initial_capital",
    "final_equity",
    "metrics",
    "duration_seconds",
    "created_at",
    "finished_at",
    "error",
    "started_by__username",
)


def strategies_list(*, active_only: bool = False) -> QuerySet[Strategy]:
    """Strategies in execution order."""
    rows = Strategy.objects.all()
    return rows.filter(is_active=True) if active_only else rows


def backtest_runs_list(*, strategy_id: str | None = None, status: str | None = None) -> QuerySet[BacktestRun]:
    """Runs newest first, without the heavy series (equity, fills, trades, regime)."""
    runs = BacktestRun.objects.select_related("started_by").only(
        *[f for f in LIST_FIELDS if "__" not in f], "started_by__username"
    )
    if strategy_id:
        runs = runs.filter(strategy_id_text=strategy_id)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-id")


def backtest_run_get(run_id: int) -> BacktestRun | None:
    return BacktestRun.objects.select_related("started_by").filter(pk=run_id).first()
