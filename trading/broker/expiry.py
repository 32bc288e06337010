"""The refresh-token expiry check: which tier the Schwab login is in, and an alert only when it escalates.

Tiers (``trading.models.ExpiryTier``): 5 days, 2 days, 1 day, 12 hours left, expired. The last tier alerted is
kept on the token row (``expiry_alert_tier``); a check alerts only when the current tier is more urgent than
that one, so each tier is announced once per login. A new login (``BrokerToken.refresh_issued_at`` changes)
clears the state (``trading.broker.tokens.broker_token_save``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from trading.broker.status import expiry_tier
from trading.models import EXPIRY_TIER_ORDER, Broker, BrokerToken


@dataclass(frozen=True)
class ExpiryCheck:
    """One check: the tier now (``None``: more than 5 days left), the one alerted before, whether it alerted."""

    token_present: bool
    tier: str | None = None
    previous_tier: str = ""
    alerted: bool = False
    seconds_left: int = 0
    expires_at: datetime | None = None


def token_expiry_check(*, now: datetime, broker: str = Broker.SCHWAB) -> ExpiryCheck:
    """Check the stored token's time left at ``now``; notify (after commit) when the tier escalated."""
    from trading.notify import notify_token_expiry

    with transaction.atomic():
        row = BrokerToken.objects.select_for_update().filter(broker=broker).first()
        if row is None:
            return ExpiryCheck(token_present=False)
        left = row.refresh_expires_at - now
        tier = expiry_tier(left)
        previous = row.expiry_alert_tier
        escalated = tier is not None and EXPIRY_TIER_ORDER[tier] > EXPIRY_TIER_ORDER.get(previous, 0)
        row.expiry_checked_at = now
        fields = ["expiry_checked_at"]
        if escalated:
            row.expiry_alert_tier = tier
            fields.append("expiry_alert_tier")
        row.save(update_fields=fields)
        seconds_left = max(int(left.total_seconds()), 0)
        if escalated:
            notify_token_expiry(
                broker=row.get_broker_display(), tier=tier, expires_at=row.refresh_expires_at, seconds_left=seconds_left
            )
    return ExpiryCheck(
        token_present=True,
        tier=tier,
        previous_tier=previous,
        alerted=escalated,
        seconds_left=seconds_left,
        expires_at=row.refresh_expires_at,
    )
