"""Scheduled jobs of the performance app: EOD finalisation (regular and half-day) and snapshot retention.

NYSE closes at 16:00 on regular days and 13:00 on early-close days (day after Thanksgiving, Christmas Eve…):
``eod_finalization`` runs at 16:15 and skips early-close days; ``eod_finalization_halfday`` runs at 13:15 and
does something only on early-close days. Both skip non-trading days through the framework. The calendar is
``jutsu.scheduler.calendar`` (pandas-market-calendars), never a hand-written list.
"""

from __future__ import annotations

from datetime import timedelta

from jutsu.conf.resolver import resolve_value
from jutsu.jobs import housekeeping_step
from jutsu.models import JobStatus
from jutsu.scheduler import calendar
from jutsu.scheduler.registry import job
from jutsu.scheduler.runner import JobContext, JobResult
from performance.models import EODStatus
from performance.services.eod import EodRunSummary, eod_run
from performance.services.snapshots import performance_snapshots_trim

EOD_JOB = "eod_finalization"
EOD_HALFDAY_JOB = "eod_finalization_halfday"


@job(
    EOD_JOB,
    description="Finalise today's daily performance (16:15; recovers the last 7 trading days first)",
    schedule=[{"minute": "15", "hour": "16", "day_of_week": "mon-fri"}],
)
def eod_finalization(ctx: JobContext) -> JobResult:
    if calendar.is_early_close(ctx.today):
        return JobResult(
            status=JobStatus.SKIPPED,
            message=f"skipped: {ctx.today.isoformat()} is an early close; {EOD_HALFDAY_JOB} finalises it at 13:15",
        )
    return _result(eod_run(ctx.today, trigger=EOD_JOB))


@job(
    EOD_HALFDAY_JOB,
    description="Finalise daily performance on NYSE early-close days (13:15)",
    schedule=[{"minute": "15", "hour": "13", "day_of_week": "mon-fri"}],
)
def eod_finalization_halfday(ctx: JobContext) -> JobResult:
    if not calendar.is_early_close(ctx.today):
        return JobResult(
            status=JobStatus.SKIPPED,
            message=f"skipped: {ctx.today.isoformat()} is not an early close; {EOD_JOB} runs at 16:15",
        )
    return _result(eod_run(ctx.today, trigger=EOD_HALFDAY_JOB))


def _result(summary: EodRunSummary) -> JobResult:
    """Job status from the dates finalised: success only when every one completed."""
    statuses = summary.statuses
    parts = [f"{s.trading_date.isoformat()} {s.status}" for s in statuses]
    detail = {
        "dates": [
            {
                "date": s.trading_date.isoformat(),
                "status": s.status,
                "strategies": f"{s.strategies_processed}/{s.strategies_total}",
                "baselines": f"{s.baselines_processed}/{s.baselines_total}",
                "errors": s.errors[:5],
            }
            for s in statuses
        ],
        "conflicts": summary.conflicts,
    }
    today = summary.today_status
    if today is not None and today.status == EODStatus.FAILED:
        status = JobStatus.FAILED
    elif summary.conflicts or any(s.status != EODStatus.COMPLETED for s in statuses):
        status = JobStatus.PARTIAL
    else:
        status = JobStatus.SUCCESS
    errors = [f"{s.trading_date}: {e['entity_id']}/{e['mode']}: {e['error']}" for s in statuses for e in s.errors]
    return JobResult(
        status=status,
        message=("; ".join(parts) or "nothing to finalise")[:500],
        detail=detail,
        error="\n".join([*summary.conflicts, *errors])[:4000],
    )


@housekeeping_step("trim_performance_snapshots")
def _trim_snapshots(ctx: JobContext) -> str:
    days = resolve_value("performance.snapshot_retention_days")
    deleted = performance_snapshots_trim(before=ctx.as_of - timedelta(days=days))
    return f"{deleted} snapshots older than {days} days removed"
