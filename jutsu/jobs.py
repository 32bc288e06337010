"""Platform-level scheduled jobs. Other apps add steps to housekeeping with ``housekeeping_step``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from jutsu.models import JobStatus
from jutsu.scheduler.registry import job
from jutsu.scheduler.runner import JobContext, JobResult

logger = logging.getLogger(__name__)

HousekeepingStep = Callable[[JobContext], str]
_steps: dict[str, HousekeepingStep] = {}


def housekeeping_step(name: str):
    """Register ``func(ctx) -> summary`` to run in the daily housekeeping job."""

    def decorator(func: HousekeepingStep) -> HousekeepingStep:
        _steps[name] = func
        return func

    return decorator


@housekeeping_step("expire_config_overrides")
def _expire_overrides(ctx: JobContext) -> str:
    from jutsu.services.config_overrides import config_overrides_expire

    expired = config_overrides_expire(at=ctx.as_of)
    return f"{len(expired)} overrides expired"


@housekeeping_step("trim_live_event_outbox")
def _trim_outbox(ctx: JobContext) -> str:
    from jutsu.models import LiveEventOutbox

    deleted, _ = LiveEventOutbox.objects.filter(created_at__lt=ctx.as_of - timedelta(hours=1)).delete()
    return f"{deleted} relayed events removed"


@job(
    "housekeeping",
    description="Expire config overrides, purge old tokens, trim old snapshots and relayed events",
    schedule=[{"minute": "30", "hour": "2"}],
    trading_days_only=False,
)
def housekeeping(ctx: JobContext) -> JobResult:
    """Run every registered housekeeping step; one failing step does not stop the others."""
    done: dict[str, str] = {}
    failed: dict[str, str] = {}
    for name, step in sorted(_steps.items()):
        try:
            done[name] = step(ctx)
        except Exception as exc:
            logger.exception("housekeeping step %s failed", name)
            failed[name] = f"{type(exc).__name__}: {exc}"
    status = JobStatus.SUCCESS if not failed else (JobStatus.PARTIAL if done else JobStatus.FAILED)
    summary = "; ".join(f"{k}: {v}" for k, v in done.items())
    return JobResult(
        status=status,
        message=summary[:500],
        detail={"done": done, "failed": failed},
        error="; ".join(f"{k}: {v}" for k, v in failed.items()),
    )
