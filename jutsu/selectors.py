"""Reads of the platform's cross-cutting state: overrides in force, job runs, schedules."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

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
    """The latest run of every job that has run, in one query."""
    newest = JobRun.objects.filter(job_name=OuterRef("job_name")).order_by("-started_at", "-id").values("pk")[:1]
    return {run.job_name: run for run in JobRun.objects.filter(pk=Subquery(newest))}


def config_overrides_history(*, limit: int = 50) -> list[ConfigOverride]:
    """The newest ``limit`` overrides, active or not (a replaced or deactivated row is the history of its
    parameter), with who created and deactivated them. One query."""
    rows = ConfigOverride.objects.select_related("created_by", "deactivated_by")
    return list(rows.order_by("-created_at", "-id")[:limit])
