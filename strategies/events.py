"""Live events of the strategies app (payloads built here, published after commit by ``jutsu.events``)."""

from __future__ import annotations

from typing import Any

from jutsu.events import publish

OPTIMIZATION_JOB = "optimization"


def notify_optimization_progress(
    *, run_id: int, kind: str, status: str, done: int, failed: int, total: int
) -> dict[str, Any]:
    """``job_status`` with ``job=optimization``: the run's page moves its progress bar, reloads when finished."""
    return publish(
        "job_status",
        {
            "job": OPTIMIZATION_JOB,
            "run_id": run_id,
            "kind": kind,
            "status": status,
            "done": done,
            "failed": failed,
            "total": total,
        },
    )


BACKTEST_JOB = "backtest"


def notify_backtest_status(*, run_id: int, strategy_id: str, status: str) -> dict[str, Any]:
    """``job_status`` with ``job=backtest``: the run's page shows its results when it completes or fails."""
    return publish("job_status", {"job": BACKTEST_JOB, "run_id": run_id, "strategy_id": strategy_id, "status": status})
