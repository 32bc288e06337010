"""Scheduled work of the broker connection (imported by ``trading/jobs.py``, so the job registry sees it)."""

from __future__ import annotations

from jutsu.jobs import housekeeping_step
from jutsu.scheduler.runner import JobContext


@housekeeping_step("purge_broker_auth_requests")
def _purge_auth_requests(ctx: JobContext) -> str:
    """Started Schwab logins whose callback never came (expired) are removed."""
    from trading.models import BrokerAuthRequest

    deleted, _ = BrokerAuthRequest.objects.filter(expires_at__lte=ctx.as_of).delete()
    return f"{deleted} expired broker login request(s) removed"
