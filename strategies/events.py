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
