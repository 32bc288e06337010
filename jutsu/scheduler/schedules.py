"""Keeping django-celery-beat's schedule rows in step with the job registry.

Each job's crontab entries (New York time) become ``PeriodicTask`` rows named ``job:<name>`` or
``job:<name>#<n>``. An operator's ``enabled`` flag is preserved; crontab changes (e.g. a new
trading time from a config override) take effect at once because beat re-reads changed rows.
"""

from __future__ import annotations

import json
import logging

from django.db import transaction

from jutsu.conf.resolver import resolve_value
from jutsu.scheduler.calendar import NEW_YORK
from jutsu.scheduler.registry import JobSpec, all_jobs

logger = logging.getLogger(__name__)

TASK_NAME = "jutsu.tasks.run_job_task"
PREFIX = "job:"


def _entry_name(spec: JobSpec, index: int, total: int) -> str:
    return f"{PREFIX}{spec.name}" if total == 1 else f"{PREFIX}{spec.name}#{index + 1}"


def schedules_sync() -> dict[str, int]:
    """Create, update or delete PeriodicTask rows so they match the registry. Returns counts."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

    counts = {"created": 0, "updated": 0, "deleted": 0}
    grace = resolve_value("jobs.missed_run_grace_seconds")
    wanted: set[str] = set()
    with transaction.atomic():
        for spec in all_jobs():
            entries = spec.schedules()
            for index, fields in enumerate(entries):
                name = _entry_name(spec, index, len(entries))
                wanted.add(name)
                crontab, _ = CrontabSchedule.objects.get_or_create(
                    minute=str(fields.get("minute", "0")),
                    hour=str(fields.get("hour", "*")),
                    day_of_week=str(fields.get("day_of_week", "*")),
                    day_of_month=str(fields.get("day_of_month", "*")),
                    month_of_year=str(fields.get("month_of_year", "*")),
                    timezone=NEW_YORK.key,
                )
                task = PeriodicTask.objects.filter(name=name).first()
                defaults = {
                    "task": TASK_NAME,
                    "crontab": crontab,
                    "interval": None,
                    "args": json.dumps([spec.name]),
                    "queue": spec.queue,
                    "expire_seconds": grace or None,
                    "description": spec.description,
                }
                if task is None:
                    PeriodicTask.objects.create(name=name, enabled=True, **defaults)
                    counts["created"] += 1
                    continue
                changed = [key for key, value in defaults.items() if getattr(task, key) != value]
                if changed:
                    for key in changed:
                        setattr(task, key, defaults[key])
                    task.save()
                    counts["updated"] += 1
        stale = PeriodicTask.objects.filter(name__startswith=PREFIX).exclude(name__in=wanted)
        counts["deleted"] = stale.count()
        stale.delete()
        if counts["deleted"]:
            PeriodicTasks.update_changed()
    if any(counts.values()):
        logger.info("beat schedules synced: %s", counts)
    return counts


def schedules_resync(parameter: str) -> None:
    """Config-override change listener: a parameter changed (set, deactivated, expired) — re-sync at once.

    Schedules may depend on runtime parameters (``daily_trading`` follows ``trading.execution_time``), so every
    committed override change re-syncs the rows; beat re-reads changed rows on its next tick.
    """
    counts = schedules_sync()
    logger.info("config override of %s changed: beat schedules re-synced %s", parameter, counts)


def schedule_overview() -> list[dict]:
    """Each job with its schedule rows, enabled flag and next run (New York time)."""
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    rows = []
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__startswith=PREFIX).select_related("crontab")}
    now = timezone.now()
    for spec in all_jobs():
        entries = [
            t for name, t in tasks.items() if name == f"{PREFIX}{spec.name}" or name.startswith(f"{PREFIX}{spec.name}#")
        ]
        next_runs = []
        for task in entries:
            if task.enabled and task.crontab is not None:
                schedule = task.crontab.schedule
                remaining = schedule.remaining_estimate(now.astimezone(NEW_YORK))
                next_runs.append((now + remaining).astimezone(NEW_YORK))
        rows.append(
            {
                "job": spec.name,
                "description": spec.description,
                "enabled": any(t.enabled for t in entries) if entries else False,
                "trading_days_only": spec.trading_days_only,
                "next_run": min(next_runs).isoformat() if next_runs else None,
            }
        )
    return rows


def schedule_set_enabled(job_name: str, *, enabled: bool) -> int:
    """Enable or disable every beat row of ``job_name`` (beat notices at once). Returns the rows changed."""
    from django_celery_beat.models import PeriodicTask

    from jutsu.errors import InvalidParameter
    from jutsu.scheduler.registry import get_job

    spec = get_job(job_name)
    names = {f"{PREFIX}{spec.name}"}
    tasks = [
        t
        for t in PeriodicTask.objects.filter(name__startswith=f"{PREFIX}{spec.name}")
        if t.name in names or t.name.startswith(f"{PREFIX}{spec.name}#")
    ]
    if not tasks:
        raise InvalidParameter(f"job {spec.name} has no schedule (run sync_schedules)")
    for task in tasks:
        task.enabled = enabled
        task.save()  # save() marks the schedule as changed for beat
    return len(tasks)


def job_trigger(job_name: str, *, trigger: str) -> JobSpec:
    """Queue one run of ``job_name`` now, after the current transaction commits (the worker runs it under the
    usual lock and calendar rules). Unknown job → NotFound naming the known ones. Shared by the scheduler API
    and the control page."""
    from jutsu.scheduler.registry import get_job
    from jutsu.tasks import run_job_task

    spec = get_job(job_name)
    transaction.on_commit(
        lambda: run_job_task.apply_async(args=[spec.name], kwargs={"trigger": trigger}, queue=spec.queue)
    )
    return spec
