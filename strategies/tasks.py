"""Celery tasks of the strategies app (research queue). Thin: ids in, service call."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

logger = logging.getLogger(__name__)


@shared_task(name="strategies.tasks.backtest_run_task", acks_late=True)
def backtest_run_task(run_id: int) -> dict:
    """Execute a pending backtest run; a run already claimed by another worker is left alone."""
    from strategies.services.backtests import backtest_run_perform

    run = backtest_run_perform(run_id=run_id)
    return {"id": run.pk, "status": run.status}


@shared_task(name="strategies.tasks.optimization_trial_task", bind=True, acks_late=True)
def optimization_trial_task(self, trial_id: int) -> dict:
    """Run one trial of an optimisation (claimed by a conditional update: duplicates and retries are no-ops).

    The claim token is the task id, so a message redelivered after its worker died takes its own claim back.
    """
    from strategies.services.optimization_runs import optimization_trial_execute

    return {"trial": trial_id, "performed": optimization_trial_execute(trial_id, token=self.request.id)}


@worker_ready.connect
def _recover_research_on_worker_start(sender=None, **kwargs):
    """A (re)started worker re-queues the unfinished trials of running optimisations (see the runs service)."""
    from django.db import connections

    from strategies.services.optimization_runs import optimization_runs_recover_all

    try:
        optimization_runs_recover_all()
    except Exception:  # the database may be away at start-up; the next worker start or `optimize resume` recovers
        logger.warning("could not recover unfinished optimisation runs at worker start", exc_info=True)
    finally:
        connections.close_all()  # the main process holds no connection (it forks pool processes)
