"""Scheduled jobs of the broker connection (imported by ``trading/jobs.py``, so the job registry sees them)."""

from __future__ import annotations

from jutsu.jobs import housekeeping_step
from jutsu.models import JobStatus
from jutsu.scheduler.registry import job
from jutsu.scheduler.runner import JobContext, JobResult
from trading.modes import Mode


@job(
    "token_expiry_check",
    description="Schwab refresh-token age: alert at 5 d, 2 d, 1 d, 12 h left and on expiry (escalations only)",
    # twice a day, every day (a login expires on weekends too); 08:00 leaves time to log in before the open
    schedule=[{"minute": "0", "hour": "8,20"}],
    trading_days_only=False,
    queue="housekeeping",
)
def token_expiry_check_job(ctx: JobContext) -> JobResult:
    """Check the stored Schwab token's time left; notify when its expiry tier escalated."""
    from trading.broker.expiry import token_expiry_check

    check = token_expiry_check(now=ctx.as_of)
    if not check.token_present:
        return JobResult(status=JobStatus.SKIPPED, message="skipped: no Schwab token is stored")
    hours = check.seconds_left / 3600
    message = f"Schwab refresh token: {hours:.1f} h left (tier {check.tier or 'none'})"
    if check.alerted:
        message += f"; alerted (escalated from {check.previous_tier or 'none'})"
    return JobResult(
        message=message,
        detail={
            "tier": check.tier,
            "previous_tier": check.previous_tier,
            "alerted": check.alerted,
            "seconds_left": check.seconds_left,
            "expires_at": check.expires_at.isoformat() if check.expires_at else None,
        },
    )


def _traded_live(ctx: JobContext) -> bool:
    """The engine is in ``online_live``, or a live order was recorded for the day (a mode switch mid-day)."""
    from trading.models import Order
    from trading.services.engine import engine_state_get

    if engine_state_get().mode == Mode.ONLINE_LIVE:
        return True
    return Order.objects.filter(mode=Mode.ONLINE_LIVE, trading_date=ctx.today).exists()


@job(
    "reconciliation",
    description="After the close, live mode only: compare the day's recorded live fills with Schwab's executions",
    schedule=[{"minute": "0", "hour": "17", "day_of_week": "mon-fri"}],
    queue="live",
)
def reconciliation_job(ctx: JobContext) -> JobResult:
    """Reconcile the day's ``online_live`` fills with Schwab's; skipped unless trading live."""
    from trading.broker.connection import schwab_broker
    from trading.broker.errors import BrokerError
    from trading.broker.reconciliation import reconciliation_run

    if not _traded_live(ctx):
        return JobResult(
            status=JobStatus.SKIPPED,
            message="skipped: the engine is not in online_live mode and no live order was recorded today",
        )
    try:
        report = reconciliation_run(day=ctx.today, now=ctx.as_of, broker=schwab_broker())
    except BrokerError as exc:
        return JobResult(status=JobStatus.FAILED, message=f"reconciliation failed: {exc}", error=str(exc))
    differences = {kind: count for kind, count in report.summary.items() if count and kind != "matched"}
    message = f"{report.matched} matched" + "".join(f", {n} {k.replace('_', ' ')}" for k, n in differences.items())
    return JobResult(
        message=f"reconciliation {ctx.today}: {message}",
        detail={"report_id": report.pk, "status": report.status, "summary": report.summary},
    )


@housekeeping_step("purge_broker_auth_requests")
def _purge_auth_requests(ctx: JobContext) -> str:
    """Started Schwab logins whose callback never came (expired) are removed."""
    from trading.models import BrokerAuthRequest

    deleted, _ = BrokerAuthRequest.objects.filter(expires_at__lte=ctx.as_of).delete()
    return f"{deleted} expired broker login request(s) removed"
