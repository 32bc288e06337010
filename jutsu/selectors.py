"""Reads of the platform's cross-cutting state: overrides in force, job runs, schedules."""

from __future__ import annotations

from django.db.models import QuerySet

from jutsu.models import ConfigOverride, JobRun


def config_overrides_in_force() -> QuerySet[ConfigOverride]:
    """Active, unexpired overrides (the dashboard banner lists these)."""
    return ConfigOverride.objects.in_force().select_related("created_by").order_by("parameter", "strategy_id")


def job_runs(*, job_name: str | None = None) -> QuerySet[JobRun]:
    """Job runs, newest first, optionally for one job."""
    runs = JobRun.objects.all()
    if job_name:
        runs = runs.filter(job_name=job_name)
    return runs.order_by("-started_at", "-id")


def job_last_runs() -> dict[str, JobRun]:
    """The latest run of every job that has run."""
    latest: dict[str, JobRun] = {}
    for run in JobRun.objects.order_by("job_name", "-started_at", "-id").distinct():
        latest.setdefault(run.job_name, run)
    return latest
