"""Celery tasks of the job framework. Thin: take primitives, call the runner."""

from __future__ import annotations

from celery import shared_task

from jutsu.models import JobTrigger
from jutsu.scheduler.runner import job_run, parse_as_of


@shared_task(name="jutsu.tasks.run_job_task", acks_late=True)
def run_job_task(job_name: str, as_of: str | None = None, trigger: str = JobTrigger.SCHEDULE) -> dict:
    """Run one registered job (beat sends these); returns the run's id and status."""
    run = job_run(job_name, as_of=parse_as_of(as_of), trigger=trigger)
    return {"id": run.pk, "job": run.job_name, "status": run.status, "message": run.message}


@shared_task(name="jutsu.tasks.config_overrides_expire_task", acks_late=True)
def config_overrides_expire_task() -> int:
    """Deactivate the overrides whose expiry has passed (queued for each override's ``expires_at``)."""
    from jutsu.services.config_overrides import config_overrides_expire

    return len(config_overrides_expire())


@shared_task(name="jutsu.tasks.ping")
def ping(value: str = "pong") -> str:
    """A round-trip probe for operators and tests."""
    return value
