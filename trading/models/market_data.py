"""Market data: ``MarketData`` bars, ``DataMetadata`` coverage per (symbol, timeframe) and the append-only
``DataAuditLog``. Writes go through ``trading.marketdata`` services, reads through ``trading.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from trading.sources.base import TIMEFRAMES


class Timeframe(models.TextChoices):
    """Bar length. The platform trades daily bars; intraday timeframes are stored for analysis only."""

    DAILY = "1D", "1 day"
    HOURLY = "1H", "1 hour"
    MIN15 = "15m", "15 minutes"
    MIN5 = "5m", "5 minutes"


assert tuple(Timeframe.values) == TIMEFRAMES, "trading.sources.base.TIMEFRAMES and Timeframe must agree"


class DataSource(models.TextChoices):
    YAHOO = "yahoo", "Yahoo Finance"
    SCHWAB = "schwab", "Charles Schwab"
    CSV = "csv", "CSV file"
    SYNTHETIC = "synthetic", "Synthetic (generated, not real prices)"


class MarketData(models.Model):
    """One OHLCV bar.

    Timestamp convention (aware UTC):

    * ``1D`` bars: the trading session's New York date at 00:00 UTC — 2019-07-19's bar is stored at
      ``2019-07-19T00:00:00Z`` whatever time the vendor stamped it with. ``timestamp.date()`` (in UTC)
      is therefore the trading date, and a range ``[date 00:00 UTC, next date 00:00 UTC)`` finds it.
    * intraday bars: the bar's opening instant in UTC.

    Prices are the vendor's split-adjusted (not dividend-adjusted) open/high/low/close, ``Decimal``
    with 6 places. Rows are never deleted: bad bars are flagged ``is_valid=False`` and every change
    leaves a ``DataAuditLog`` row. The unique constraint's index on (symbol, timeframe, timestamp)
    serves the range scans of the selectors; no second index is needed.
    """

    symbol = models.CharField(max_length=10)
    timeframe = models.CharField(max_length=3, choices=Timeframe.choices, default=Timeframe.DAILY)
    timestamp = models.DateTimeField(help_text="Aware UTC; daily bars at 00:00 UTC of the session date")
    open = models.DecimalField(max_digits=18, decimal_places=6)
    high = models.DecimalField(max_digits=18, decimal_places=6)
    low = models.DecimalField(max_digits=18, decimal_places=6)
    close = models.DecimalField(max_digits=18, decimal_places=6)
    volume = models.BigIntegerField()
    data_source = models.CharField(max_length=10, choices=DataSource.choices)
    is_valid = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["symbol", "timeframe", "timestamp"]
        verbose_name = "market data bar"
        verbose_name_plural = "market data"
        constraints = [
            models.UniqueConstraint(fields=["symbol", "timeframe", "timestamp"], name="marketdata_unique_bar"),
            models.CheckConstraint(condition=Q(timeframe__in=Timeframe.values), name="marketdata_timeframe_valid"),
            models.CheckConstraint(condition=Q(data_source__in=DataSource.values), name="marketdata_source_valid"),
            models.CheckConstraint(
                condition=Q(open__gt=0, high__gt=0, low__gt=0, close__gt=0), name="marketdata_prices_positive"
            ),
            models.CheckConstraint(
                condition=Q(low__lte=F("open"))
                & Q(low__lte=F("close"))
                & Q(high__gte=F("open"))
                & Q(high__gte=F("close")),
                name="marketdata_ohlc_consistent",
            ),
            models.CheckConstraint(condition=Q(volume__gte=0), name="marketdata_volume_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.timeframe} {self.timestamp:%Y-%m-%d %H:%M} close {self.close}"


class DataMetadata(models.Model):
    """Coverage of one (symbol, timeframe): recomputed by every import/sync/flag that touches it."""

    symbol = models.CharField(max_length=10)
    timeframe = models.CharField(max_length=3, choices=Timeframe.choices, default=Timeframe.DAILY)
    first_bar_at = models.DateTimeField(null=True, blank=True)
    last_bar_at = models.DateTimeField(null=True, blank=True)
    bar_count = models.PositiveIntegerField(default=0, help_text="All stored bars, valid or not")
    valid_bar_count = models.PositiveIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True, help_text="Last import or sync that ran")
    last_source = models.CharField(max_length=10, choices=DataSource.choices, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol", "timeframe"]
        verbose_name = "market data coverage"
        verbose_name_plural = "market data coverage"
        constraints = [
            models.UniqueConstraint(fields=["symbol", "timeframe"], name="datametadata_unique_series"),
            models.CheckConstraint(condition=Q(timeframe__in=Timeframe.values), name="datametadata_timeframe_valid"),
            models.CheckConstraint(
                condition=Q(last_source="") | Q(last_source__in=DataSource.values), name="datametadata_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.timeframe}: {self.bar_count} bars"


class AuditOperation(models.TextChoices):
    IMPORT = "import", "Import"
    SYNC = "sync", "Sync"
    GENERATE = "generate", "Generate synthetic"
    CORRECTION = "correction", "Correction"
    FLAG = "flag", "Flag"
    REMOVE_SYNTHETIC = "remove_synthetic", "Remove synthetic bars"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    NO_CHANGE = "no_change", "No change"
    PARTIAL = "partial", "Partial (some rows rejected)"
    FAILED = "failed", "Failed"


class DataAuditLog(models.Model):
    """Append-only record of every operation on market data (never updated or deleted).

    One row per import/sync/generate run (with its counts), plus one ``correction`` row per repaired
    or edited bar (original and new values in ``details``), one ``flag`` row per suspicious jump or
    invalidated bar, and one ``remove_synthetic`` row when generated demo bars are removed (the only
    bars that are ever deleted: they are not market data).
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    operation = models.CharField(max_length=20, choices=AuditOperation.choices)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices)
    symbol = models.CharField(max_length=10, blank=True, default="", db_index=True)
    timeframe = models.CharField(max_length=3, choices=Timeframe.choices, blank=True, default="")
    data_source = models.CharField(max_length=10, choices=DataSource.choices, blank=True, default="")
    bar_timestamp = models.DateTimeField(null=True, blank=True, help_text="The bar concerned (corrections, flags)")
    file = models.CharField(max_length=500, blank=True, default="")
    inserted = models.PositiveIntegerField(default=0)
    skipped_duplicate = models.PositiveIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=100, blank=True, default="", help_text="Command, task or page that acted")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "market data audit entry"
        verbose_name_plural = "market data audit log"
        constraints = [
            models.CheckConstraint(condition=Q(operation__in=AuditOperation.values), name="dataaudit_operation_valid"),
            models.CheckConstraint(condition=Q(outcome__in=AuditOutcome.values), name="dataaudit_outcome_valid"),
        ]

    def __str__(self) -> str:
        target = self.symbol or self.file or "-"
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.operation} {target}: {self.outcome}"
