"""Celery tasks of the strategies app (research queue). Thin: ids in, service call."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="strategies.tasks.backtest_run_task", acks_late=True)
def backtest_run_task(run_id: int) -> dict:
    """Execute a pending backtest run; a run already claimed by another worker is left alone."""
    from strategies.services.backtests import backtest_run_perform

    run = backtest_run_perform(run_id=run_id)
    return {"id": run.pk, "status": run.status}
