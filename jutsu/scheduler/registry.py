"""The registry of scheduled jobs. Each app declares its jobs in ``<app>/jobs.py`` with ``@job``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jutsu.errors import NotFound

Schedule = dict[str, str]  # crontab fields: minute, hour, day_of_week, day_of_month, month_of_year


@dataclass(frozen=True)
class JobSpec:
    """A job: its function, its schedule (New York time) and how the framework guards it."""

    name: str
    func: Callable[..., Any]
    description: str
    schedules: Callable[[], list[Schedule]] = field(default=lambda: [])
    trading_days_only: bool = True
    queue: str = "default"
    lock_timeout_seconds: int | None = None


_JOBS: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    description: str,
    schedule: list[Schedule] | Callable[[], list[Schedule]] | None = None,
    trading_days_only: bool = True,
    queue: str = "default",
    lock_timeout_seconds: int | None = None,
):
    """Register ``func(ctx: JobContext) -> JobResult | None`` as the job ``name``.

    ``schedule`` is a list of crontab dicts in New York time, or a callable returning one (for
    schedules that depend on runtime configuration, such as the trading time).
    """

    def decorator(func):
        schedules = schedule if callable(schedule) else (lambda s=list(schedule or []): s)
        spec = JobSpec(
            name=name,
            func=func,
            description=description,
            schedules=schedules,
            trading_days_only=trading_days_only,
            queue=queue,
            lock_timeout_seconds=lock_timeout_seconds,
        )
        existing = _JOBS.get(name)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(f"job {name!r} registered twice")
        _JOBS[name] = spec
        return func

    return decorator


def get_job(name: str) -> JobSpec:
    """The job called ``name``; an unknown name lists the known ones."""
    try:
        return _JOBS[name]
    except KeyError:
        known = ", ".join(sorted(_JOBS)) or "none"
        raise NotFound(f"unknown job {name!r} (known jobs: {known})") from None


def all_jobs() -> list[JobSpec]:
    """Every registered job, by name."""
    return [_JOBS[name] for name in sorted(_JOBS)]
