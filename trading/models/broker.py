"""The broker connection: the OAuth token (encrypted at rest), pending authorisations, reconciliation reports.

Schwab's OAuth gives an access token (30 minutes, refreshed by schwab-py on use) and a refresh token that
lasts **7 days** from the browser login; after that only a new login helps. ``BrokerToken`` keeps schwab-py's
token JSON (``{"creation_timestamp": …, "token": {…}}``) as Fernet ciphertext (``accounts.crypto``) and, in
clear, only what the status and the expiry alerts need: when the refresh token was issued and when the
access token expires. Written through ``trading.broker.tokens`` only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

#: Schwab refresh tokens last 7 days from the login that issued them.
REFRESH_TOKEN_LIFETIME = timedelta(days=7)


class Broker(models.TextChoices):
    SCHWAB = "schwab", "Charles Schwab"


class ExpiryTier(models.TextChoices):
    """How close the refresh token is to its end, least urgent first (alerts fire on escalation only)."""

    DAYS_5 = "5d", "5 days or less left"
    DAYS_2 = "2d", "2 days or less left"
    DAY_1 = "1d", "1 day or less left"
    HOURS_12 = "12h", "12 hours or less left"
    EXPIRED = "expired", "Expired"


#: (tier, time left at or below which it applies), most urgent last.
EXPIRY_TIER_LIMITS: tuple[tuple[str, timedelta], ...] = (
    (ExpiryTier.DAYS_5, timedelta(days=5)),
    (ExpiryTier.DAYS_2, timedelta(days=2)),
    (ExpiryTier.DAY_1, timedelta(days=1)),
    (ExpiryTier.HOURS_12, timedelta(hours=12)),
    (ExpiryTier.EXPIRED, timedelta(0)),
)
EXPIRY_TIER_ORDER = {tier: rank for rank, (tier, _) in enumerate(EXPIRY_TIER_LIMITS, start=1)}


class BrokerToken(models.Model):
    """The OAuth token of one broker (one row per broker), encrypted at rest."""

    broker = models.CharField(max_length=20, choices=Broker.choices, unique=True)
    token_encrypted = models.TextField(help_text="Fernet ciphertext of the token JSON (never stored in clear)")
    refresh_issued_at = models.DateTimeField(help_text="When the login issued the refresh token (it lasts 7 days)")
    access_expires_at = models.DateTimeField(null=True, blank=True, help_text="When the current access token ends")
    account_hash = models.CharField(
        max_length=128, blank=True, default="", help_text="Schwab account hash orders go to (resolved at login)"
    )
    expiry_alert_tier = models.CharField(
        max_length=10, choices=ExpiryTier.choices, blank=True, default="", help_text="Last expiry tier alerted"
    )
    expiry_checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(broker__in=Broker.values), name="brokertoken_broker_valid"),
            models.CheckConstraint(
                condition=Q(expiry_alert_tier="") | Q(expiry_alert_tier__in=ExpiryTier.values),
                name="brokertoken_tier_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_broker_display()} token issued {self.refresh_issued_at:%Y-%m-%d %H:%M} UTC"

    @property
    def refresh_expires_at(self) -> datetime:
        return self.refresh_issued_at + REFRESH_TOKEN_LIFETIME


class BrokerAuthRequest(models.Model):
    """A started OAuth authorisation, kept server-side until the callback (or its expiry).

    Only a SHA-256 digest of the ``state`` is stored: the callback proves it started here by presenting it.
    """

    broker = models.CharField(max_length=20, choices=Broker.choices)
    state_digest = models.CharField(max_length=64, unique=True)
    callback_url = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(broker__in=Broker.values), name="brokerauthrequest_broker_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.broker} authorisation started {self.created_at:%Y-%m-%d %H:%M} UTC"


class ReconciliationStatus(models.TextChoices):
    MATCHED = "matched", "Matched (every fill agrees)"
    MISMATCH = "mismatch", "Mismatch (see the items)"


class ReconciliationKind(models.TextChoices):
    """How one broker order compares with the recorded fills."""

    MATCHED = "matched", "Matched"
    MISSING_LOCALLY = "missing_locally", "Executed at the broker, not recorded here"
    MISSING_AT_BROKER = "missing_at_broker", "Recorded here, not executed at the broker"
    PRICE_MISMATCH = "price_mismatch", "Average fill price differs"
    QUANTITY_MISMATCH = "quantity_mismatch", "Filled quantity differs"


class ReconciliationReport(models.Model):
    """The day's comparison of the recorded ``online_live`` fills with the broker's executions (one row per
    broker and trading day; a re-run replaces it). ``items`` lists every compared order with its kind."""

    broker = models.CharField(max_length=20, choices=Broker.choices)
    trading_date = models.DateField()
    status = models.CharField(max_length=10, choices=ReconciliationStatus.choices)
    matched = models.PositiveIntegerField(default=0)
    missing_locally = models.PositiveIntegerField(default=0)
    missing_at_broker = models.PositiveIntegerField(default=0)
    price_mismatches = models.PositiveIntegerField(default=0)
    quantity_mismatches = models.PositiveIntegerField(default=0)
    local_trades = models.PositiveIntegerField(default=0, help_text="Recorded live fills of the day")
    broker_orders = models.PositiveIntegerField(default=0, help_text="Broker orders of the day with executions")
    items = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(help_text="The as-of moment of the comparison")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-trading_date"]
        constraints = [
            models.UniqueConstraint(fields=["broker", "trading_date"], name="reconciliation_unique_day"),
            models.CheckConstraint(condition=Q(broker__in=Broker.values), name="reconciliation_broker_valid"),
            models.CheckConstraint(
                condition=Q(status__in=ReconciliationStatus.values), name="reconciliation_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.broker} reconciliation {self.trading_date}: {self.status}"

    @property
    def summary(self) -> dict[str, int]:
        return {
            ReconciliationKind.MATCHED: self.matched,
            ReconciliationKind.MISSING_LOCALLY: self.missing_locally,
            ReconciliationKind.MISSING_AT_BROKER: self.missing_at_broker,
            ReconciliationKind.PRICE_MISMATCH: self.price_mismatches,
            ReconciliationKind.QUANTITY_MISMATCH: self.quantity_mismatches,
        }
