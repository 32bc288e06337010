"""Models of the performance app: point-in-time snapshots, one authoritative row per entity and trading day,
and the status of each day's end-of-day (EOD) finalisation.

Why ``DailyPerformance`` exists (ADR-03/ADR-05): the original platform computed Sharpe from a
``daily_return`` stored on every snapshot, i.e. the return since the previous *snapshot* — with 5–13
snapshots a day that showed −4.06 instead of ~0.82. Here a snapshot stores equity only; the day's return is
``equity_t / equity_prev − 1`` between two daily rows, computed once by the EOD job.

Money is ``Decimal`` (18, 6); ratios and returns are fractions stored as floats, ``NULL`` when undefined
(never NaN or infinity). Trading dates are New York dates; timestamps are aware UTC.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from trading.modes import Mode

MONEY = {"max_digits": 18, "decimal_places": 6}


class SnapshotSource(models.TextChoices):
    TRADING_JOB = "trading_job", "Trading job"
    HOURLY_REFRESH = "hourly_refresh", "Hourly refresh"
    MARKET_CLOSE = "market_close", "Market-close refresh"
    MANUAL = "manual", "Manual"
    BACKTEST = "backtest", "Backtest"


class EntityType(models.TextChoices):
    STRATEGY = "strategy", "Strategy"
    BASELINE = "baseline", "Baseline (buy-and-hold)"


class EODStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partial (some entities failed)"
    FAILED = "failed", "Failed"


class RegimeFields(models.Model):
    """Strategy state written by the trading job (ADR-04); null (text: empty) for baselines and refresh snapshots."""

    strategy_cell = models.PositiveSmallIntegerField(null=True, blank=True)
    trend_state = models.CharField(max_length=20, blank=True, default="")
    vol_state = models.CharField(max_length=10, blank=True, default="")
    t_norm = models.FloatField(null=True, blank=True)
    z_score = models.FloatField(null=True, blank=True)
    sma_fast = models.FloatField(null=True, blank=True)
    sma_slow = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True


class PerformanceSnapshot(RegimeFields):
    """Point-in-time equity of one strategy in one mode (V1 legacy input of the EOD job; kept one year).

    Several snapshots a day are normal (trading job, hourly refreshes, market-close refresh). A snapshot has
    no return of its own on purpose: the EOD job takes the day's *last* snapshot as the end-of-day equity.
    ``positions`` is ``{symbol: {"qty": number, "value": number}}`` (the engine's layout).
    """

    source = models.CharField(max_length=20, choices=SnapshotSource.choices)
    strategy_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    timestamp = models.DateTimeField(help_text="Aware UTC moment the equity was measured")
    total_equity = models.DecimalField(**MONEY)
    cash = models.DecimalField(**MONEY)
    positions_value = models.DecimalField(**MONEY)
    positions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["strategy_id", "mode", "timestamp"], name="perfsnap_entity_time"),
            models.Index(fields=["timestamp"], name="perfsnap_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=SnapshotSource.values), name="perfsnap_source_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="perfsnap_mode_valid"),
            models.CheckConstraint(condition=Q(total_equity__gt=0), name="perfsnap_equity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.strategy_id}/{self.mode} {self.timestamp:%Y-%m-%d %H:%M} {self.total_equity} ({self.source})"


class DailyPerformance(RegimeFields):
    """One authoritative row per (trading_date, entity_type, entity_id, mode): the single source of truth.

    ``entity_type=strategy``: ``entity_id`` is the strategy id. ``entity_type=baseline``: ``entity_id`` is the
    symbol held buy-and-hold (one series per symbol and mode, shared by every strategy that uses it).

    KPIs are all-time (since the entity's first row) and updated incrementally from the previous row's
    ``kpi_state`` (:func:`strategies.engine.kpi.kpi_update`); they equal the analyzer's full recomputation on
    the equity series (with the entity's ``initial_capital``) to 1e-9 relative. Returns/drawdowns are
    fractions (0.12 = 12 %), drawdowns ≤ 0.
    """

    trading_date = models.DateField()
    entity_type = models.CharField(max_length=10, choices=EntityType.choices)
    entity_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)

    total_equity = models.DecimalField(**MONEY)
    cash = models.DecimalField(**MONEY)
    positions_value = models.DecimalField(**MONEY)
    positions = models.JSONField(default=dict, blank=True)

    daily_return = models.FloatField(help_text="equity_t / equity_prev − 1; 0 on the first day")
    cumulative_return = models.FloatField(help_text="equity_t / initial_capital − 1")
    drawdown = models.FloatField(help_text="equity_t / high_water_mark − 1 (≤ 0)")
    high_water_mark = models.DecimalField(**MONEY)

    sharpe_ratio = models.FloatField(null=True, blank=True)
    sortino_ratio = models.FloatField(null=True, blank=True)
    calmar_ratio = models.FloatField(null=True, blank=True)
    max_drawdown = models.FloatField(help_text="All-time maximum drawdown (≤ 0)")
    volatility = models.FloatField(null=True, blank=True, help_text="Annualised standard deviation of daily returns")
    cagr = models.FloatField(null=True, blank=True)

    total_trades = models.PositiveIntegerField(default=0)
    winning_trades = models.PositiveIntegerField(default=0)
    losing_trades = models.PositiveIntegerField(default=0)
    win_rate = models.FloatField(null=True, blank=True)

    baseline_symbol = models.CharField(max_length=10, blank=True, default="")
    initial_capital = models.DecimalField(**MONEY, help_text="Capital of the first day: base of returns and CAGR")
    trading_days_count = models.PositiveIntegerField(help_text="Rows of this entity so far, this one included")
    days_since_previous = models.PositiveIntegerField(help_text="Calendar days since the previous row; 0 first")
    is_first_day = models.BooleanField(default=False)
    kpi_state = models.JSONField(help_text="KpiState.to_dict(): what the next day continues from")
    finalized_at = models.DateTimeField()

    class Meta:
        ordering = ["entity_type", "entity_id", "mode", "trading_date"]
        verbose_name = "daily performance"
        verbose_name_plural = "daily performance"
        indexes = [
            # Latest row per entity and history ranges: (entity, mode, date) ordered scans.
            models.Index(fields=["entity_type", "entity_id", "mode", "trading_date"], name="dailyperf_entity_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["trading_date", "entity_type", "entity_id", "mode"], name="dailyperf_unique_entity_day"
            ),
            models.CheckConstraint(condition=Q(entity_type__in=EntityType.values), name="dailyperf_entity_type_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="dailyperf_mode_valid"),
            models.CheckConstraint(condition=Q(total_equity__gt=0), name="dailyperf_equity_positive"),
            models.CheckConstraint(condition=Q(drawdown__lte=0, max_drawdown__lte=0), name="dailyperf_drawdown_le_0"),
            models.CheckConstraint(
                condition=Q(winning_trades__lte=F("total_trades") - F("losing_trades")),
                name="dailyperf_trade_counts_consistent",
            ),
            models.CheckConstraint(
                condition=Q(entity_type=EntityType.STRATEGY) | Q(strategy_cell__isnull=True),
                name="dailyperf_baseline_has_no_regime",
            ),
            models.CheckConstraint(
                condition=Q(is_first_day=False) | Q(days_since_previous=0, daily_return=0),
                name="dailyperf_first_day_has_no_return",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.entity_id}/{self.mode} {self.trading_date} {self.total_equity}"


class EODJobStatus(models.Model):
    """The finalisation of one trading date: who ran it, how far it got, and its first errors.

    ``running`` for more than an hour counts as stuck and is redone by the next EOD run's recovery phase.
    ``errors`` is a list of ``{"entity_type", "entity_id", "mode", "error"}`` (the first ones only).
    """

    trading_date = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=EODStatus.choices, default=EODStatus.RUNNING)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    strategies_total = models.PositiveIntegerField(default=0)
    strategies_processed = models.PositiveIntegerField(default=0)
    baselines_total = models.PositiveIntegerField(default=0)
    baselines_processed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=1, help_text="Times this date has been (re)finalised")
    trigger = models.CharField(max_length=40, blank=True, default="", help_text="Job, recovery, command…")

    class Meta:
        ordering = ["-trading_date"]
        verbose_name = "EOD job status"
        verbose_name_plural = "EOD job statuses"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EODStatus.values), name="eodstatus_status_valid"),
            models.CheckConstraint(
                condition=Q(strategies_processed__lte=F("strategies_total"))
                & Q(baselines_processed__lte=F("baselines_total")),
                name="eodstatus_processed_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"EOD {self.trading_date}: {self.status}"


#: The data set of :class:`DailyPerformance` (and :class:`EODJobStatus`) in :class:`DataVersion`.
DAILY_PERFORMANCE_DATA = "daily_performance"


class DataVersion(models.Model):
    """The version of a data set (``daily_performance``) that reads are cached by.

    ``token`` is a new random hex string in the same transaction as every service write of the data set (EOD,
    backfill, seeding, demo removal: :func:`performance.services.data_version.data_version_bump`), so a read
    cached under a token is never served after the rows changed, in any process: pages and API switch to the
    new rows the moment the write commits — when its ``data_refresh`` event goes out. The row exists once the
    data set was first written; before that nothing is cached (:mod:`performance.cache`). A migration that
    rewrites rows bumps the token too.
    """

    name = models.CharField(max_length=40, unique=True)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "data version"

    def __str__(self) -> str:
        return f"{self.name} @ {self.token[:8]} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
