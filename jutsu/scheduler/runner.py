"""Running a job once: lock, trading-day check, a ``JobRun`` record, and a ``job_status`` event.

Every scheduled job goes through ``job_run`` — from Celery beat (``jutsu.tasks.run_job_task``),
from ``manage.py run_job`` and from the API — so all of them get the same guarantees:

* one run at a time per job across all workers (a database lock; an overlapping trigger is
  recorded as ``skipped``);
* jobs marked ``trading_days_only`` are ``skipped`` on days the NYSE calendar says are closed;
* the run's notion of "now" is ``as_of``: replaying a past moment uses it for the calendar check,
  the job's "today" and the records it writes.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from jutsu.conf.resolver import resolve_value
from jutsu.events import publish
from jutsu.models import JobRun, JobStatus, JobTrigger
from jutsu.scheduler import calendar
from jutsu.scheduler.locks import lock_acquire, lock_holder, lock_release, new_owner
from jutsu.scheduler.registry import JobSpec, get_job

logger = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What a job function receives: the moment it runs for and its record."""

    job: JobSpec
    as_of: datetime  # aware, UTC
    run: JobRun
    trigger: str

    @property
    def market_now(self) -> datetime:
        """``as_of`` in New York time."""
        return self.as_of.astimezone(calendar.NEW_YORK)

    @property
    def today(self) -> date:
        """The New York calendar date the run is for."""
        return self.market_now.date()

    @property
    def replay(self) -> bool:
        """True when the run replays a past moment rather than running live."""
        return abs((timezone.now() - self.as_of).total_seconds()) > 300


@dataclass
class JobResult:
    """What a job function may return; returning None means success."""

    status: str = JobStatus.SUCCESS
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def parse_as_of(raw: str | None) -> datetime | None:
    """Parse an ISO datetime (or date); naive values are New York time. None stays None."""
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"--as-of {raw!r} is not an ISO date or datetime (e.g. 2020-07-02T16:15:00-04:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.NEW_YORK)
    return moment.astimezone(UTC)


def _create_run(spec: JobSpec, *, as_of: datetime, trigger: str, status: str, message: str = "") -> JobRun:
    for _ in range(5):
        number = (JobRun.objects.filter(job_name=spec.name).aggregate(n=Max("run_number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                return JobRun.objects.create(
                    job_name=spec.name,
                    run_number=number,
                    status=status,
                    trigger=trigger,
                    as_of=as_of,
                    trading_date=calendar.market_date(as_of),
                    started_at=timezone.now(),
                    finished_at=None if status == JobStatus.RUNNING else timezone.now(),
                    message=message[:500],
                    hostname=socket.gethostname()[:120],
                    pid=os.getpid(),
                )
        except IntegrityError:  # another process took this run number; count again
            continue
    raise RuntimeError(f"could not allocate a run number for job {spec.name}")


def _finish(run: JobRun, result: JobResult) -> JobRun:
    run.status = result.status
    run.message = result.message[:500]
    run.detail = result.detail
    run.error = result.error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "detail", "error", "finished_at"])
    return run


FailureListener = Callable[[JobRun], None]
_failure_listeners: dict[str, FailureListener] = {}


def job_failure_listener(func: FailureListener) -> FailureListener:
    """Register ``func(run)`` to be called after any job run ends ``failed`` (e.g. trading's notification).

    Apps to the right of ``jutsu`` plug in from their ``AppConfig.ready()``; a listener that raises is logged
    and never changes the run's outcome.
    """
    _failure_listeners[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def _failed(run: JobRun) -> None:
    for name, listener in list(_failure_listeners.items()):
        try:
            listener(run)
        except Exception:
            logger.exception("job failure listener %s failed for %s #%s", name, run.job_name, run.run_number)


def _announce(run: JobRun) -> None:
    publish(
        "job_status",
        {
            "job": run.job_name,
            "run_number": run.run_number,
            "status": run.status,
            "message": run.message,
            "trading_date": run.trading_date.isoformat(),
            "as_of": run.as_of.isoformat(),
        },
    )


def job_run(name: str, *, as_of: datetime | None = None, trigger: str = JobTrigger.SCHEDULE) -> JobRun:
    """Run the job ``name`` once for the moment ``as_of`` (default: now) and return its record."""
    spec = get_job(name)
    as_of = as_of or timezone.now()
    today = calendar.market_date(as_of)

    if spec.trading_days_only and not calendar.is_trading_day(today):
        run = _create_run(
            spec,
            as_of=as_of,
            trigger=trigger,
            status=JobStatus.SKIPPED,
            message=f"skipped: {today.isoformat()} is not an NYSE trading day",
        )
        logger.info("job %s #%s %s", spec.name, run.run_number, run.message)
        _announce(run)
        return run

    owner = new_owner()
    timeout = spec.lock_timeout_seconds or resolve_value("jobs.lock_timeout_seconds")
    if not lock_acquire(spec.name, owner, timeout_seconds=timeout):
        holder = lock_holder(spec.name)
        run = _create_run(
            spec,
            as_of=as_of,
            trigger=trigger,
            status=JobStatus.SKIPPED,
            message=f"skipped: another run is in progress ({holder.owner if holder else 'unknown holder'})",
        )
        logger.warning("job %s #%s %s", spec.name, run.run_number, run.message)
        _announce(run)
        return run

    try:
        run = _create_run(spec, as_of=as_of, trigger=trigger, status=JobStatus.RUNNING)
        logger.info("job %s #%s started (as of %s, %s)", spec.name, run.run_number, as_of.isoformat(), trigger)
        context = JobContext(job=spec, as_of=as_of, run=run, trigger=trigger)
        try:
            result = spec.func(context) or JobResult(message="done")
        except Exception as exc:
            logger.exception("job %s #%s failed", spec.name, run.run_number)
            result = JobResult(
                status=JobStatus.FAILED,
                message=f"failed: {type(exc).__name__}: {exc}"[:500],
                error="".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000],
            )
        if result.status not in JobStatus.values or result.status == JobStatus.RUNNING:
            raise ValueError(f"job {spec.name} returned invalid status {result.status!r}")
        _finish(run, result)
        level = logging.ERROR if run.status == JobStatus.FAILED else logging.INFO
        logger.log(level, "job %s #%s %s: %s", spec.name, run.run_number, run.status, run.message)
        _announce(run)
        if run.status == JobStatus.FAILED:
            _failed(run)
        return run
    finally:
        lock_release(spec.name, owner)
