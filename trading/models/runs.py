"""Live operation state: the engine switch, each trading-job run and its per-strategy results, regime state.

``RegimeState`` is written only by the trading job (ADR-04): one row per strategy, mode and trading day with
the decision's regime, indicators and targets. Post-close validation later fills its ``grade`` fields.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from trading.modes import Mode


class EngineStatus(models.TextChoices):
    STOPPED = "stopped", "Stopped"
    RUNNING = "running", "Running"
    ERROR = "error", "Error (a run failed; restart to trade again)"


class EngineState(models.Model):
    """The trading engine's switch — a single row (``pk=1``). A fresh database is ``stopped`` in ``paper``.

    The trading job trades only while ``running``; a failed run sets ``error`` (with ``last_error``), which
    blocks trading until an operator restarts the engine. Changed through ``trading.services.engine``.
    """

    SINGLETON_PK = 1

    state = models.CharField(max_length=10, choices=EngineStatus.choices, default=EngineStatus.STOPPED)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.PAPER)
    started_at = models.DateTimeField(null=True, blank=True)
    last_execution_at = models.DateTimeField(null=True, blank=True)
    next_execution_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    execution_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "engine state"
        verbose_name_plural = "engine state"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=EngineStatus.values), name="enginestate_state_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="enginestate_mode_valid"),
        ]

    def __str__(self) -> str:
        return f"engine {self.state} ({self.mode})"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partial (some strategies failed)"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class TradingRun(models.Model):
    """One run of the ``daily_trading`` job: the day, the engine mode, and how it went."""

    job_run = models.ForeignKey(
        "jutsu.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="trading_runs"
    )
    trading_date = models.DateField()
    as_of = models.DateTimeField(help_text="The moment the run decided for (replays use a past moment)")
    mode = models.CharField(max_length=20, choices=Mode.choices, help_text="The engine's mode")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    message = models.CharField(max_length=500, blank=True, default="")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="tradingrun_status_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="tradingrun_mode_valid"),
        ]

    def __str__(self) -> str:
        return f"trading run {self.trading_date} {self.mode}: {self.status}"


class StrategyRunStatus(models.TextChoices):
    TRADED = "traded", "Traded (orders executed)"
    HELD = "held", "Held (no order needed)"
    RESUMED = "resumed", "Resumed (the day's orders were already planned)"
    NOT_TRADED = "not_traded", "Not traded (stale data, refused day…)"
    FAILED = "failed", "Failed (error)"
    TIMED_OUT = "timed_out", "Timed out"


class StrategyRunResult(models.Model):
    """What one strategy did in one trading run."""

    trading_run = models.ForeignKey(TradingRun, on_delete=models.CASCADE, related_name="results")
    strategy_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    status = models.CharField(max_length=12, choices=StrategyRunStatus.choices)
    error = models.TextField(blank=True, default="")
    orders_planned = models.PositiveIntegerField(default=0)
    orders_filled = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["trading_run", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=StrategyRunStatus.values), name="strategyrun_status_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="strategyrun_mode_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.strategy_id}/{self.mode}: {self.status}"

    @property
    def ok(self) -> bool:
        return self.status in (StrategyRunStatus.TRADED, StrategyRunStatus.HELD, StrategyRunStatus.RESUMED)


class Grade(models.TextChoices):
    GREEN = "GREEN", "Green (same targets)"
    YELLOW = "YELLOW", "Yellow (same cell, weights differ)"
    RED = "RED", "Red (different cell)"


class RegimeState(models.Model):
    """A strategy's regime and decision for one trading day in one mode (written only by the trading job)."""

    strategy_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    trading_date = models.DateField()
    strategy_cell = models.PositiveSmallIntegerField(null=True, blank=True)
    trend_state = models.CharField(max_length=20, blank=True, default="")
    vol_state = models.CharField(max_length=10, blank=True, default="")
    t_norm = models.FloatField(null=True, blank=True)
    z_score = models.FloatField(null=True, blank=True)
    sma_fast = models.FloatField(null=True, blank=True)
    sma_slow = models.FloatField(null=True, blank=True)
    bond_sma_fast = models.FloatField(null=True, blank=True)
    bond_sma_slow = models.FloatField(null=True, blank=True)
    bond_trend = models.CharField(max_length=10, blank=True, default="")
    vol_crush = models.BooleanField(null=True, blank=True)
    indicators = models.JSONField(default=dict, blank=True)
    target_weights = models.JSONField(default=dict, blank=True)
    rebalance = models.BooleanField(default=False, help_text="The decision asked for new targets")
    reason = models.TextField(blank=True, default="")
    decided_at = models.DateTimeField(help_text="The as-of moment of the decision")
    # post-close validation (re-run on the day's final bars)
    grade = models.CharField(max_length=6, choices=Grade.choices, blank=True, default="")
    final_cell = models.PositiveSmallIntegerField(null=True, blank=True)
    final_target_weights = models.JSONField(null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["strategy_id", "mode", "-trading_date"]
        constraints = [
            models.UniqueConstraint(fields=["strategy_id", "mode", "trading_date"], name="regimestate_unique_day"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="regimestate_mode_valid"),
            models.CheckConstraint(condition=Q(grade="") | Q(grade__in=Grade.values), name="regimestate_grade_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.strategy_id}/{self.mode} {self.trading_date}: cell {self.strategy_cell}"
