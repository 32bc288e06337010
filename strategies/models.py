"""Strategy rows (mirroring the reviewed YAML registry) and backtest runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Strategy(models.Model):
    """A strategy of the registry. YAML stays the reviewed source; ``sync_strategies`` mirrors it here.

    Admins change parameters through config overrides (``strategy.<param>`` with this strategy id),
    never by editing these rows; every sync is kept in the history.
    """

    strategy_id = models.SlugField(max_length=50, unique=True)
    display_name = models.CharField(max_length=120)
    strategy_class = models.CharField(max_length=80, help_text="registry key of the numeric core")
    config_file = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    is_primary = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    paper_trading = models.BooleanField(default=True)
    execution_order = models.PositiveIntegerField(default=100)
    parameters = models.JSONField(default=dict, help_text="validated parameters from the YAML file")
    execution = models.JSONField(default=dict)
    initial_capital = models.DecimalField(max_digits=18, decimal_places=6)
    baseline_symbol = models.CharField(max_length=10, default="QQQ")
    source_hash = models.CharField(max_length=64, blank=True, default="")
    in_registry = models.BooleanField(default=True, help_text="false once removed from the YAML registry")
    synced_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["execution_order", "strategy_id"]
        verbose_name_plural = "strategies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_primary"], condition=Q(is_primary=True, is_active=True), name="one_active_primary_strategy"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.strategy_id})"


class BacktestStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class BacktestRun(models.Model):
    """One backtest: what was asked, on which data, and everything it produced."""

    strategy = models.ForeignKey(Strategy, null=True, blank=True, on_delete=models.SET_NULL, related_name="backtests")
    strategy_id_text = models.CharField(max_length=50, db_index=True, help_text="kept if the strategy row goes")
    strategy_class = models.CharField(max_length=80)
    status = models.CharField(max_length=10, choices=BacktestStatus.choices, default=BacktestStatus.PENDING)
    params = models.JSONField(default=dict)
    config = models.JSONField(default=dict, help_text="capital, costs, fill model, baseline")
    start_date = models.DateField()
    end_date = models.DateField()
    data_start = models.DateField(null=True, blank=True, help_text="first bar used (incl. warm-up)")
    data_end = models.DateField(null=True, blank=True)
    initial_capital = models.DecimalField(max_digits=18, decimal_places=6)
    final_equity = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    equity_curve = models.JSONField(default=list, blank=True)
    baseline_curve = models.JSONField(default=list, blank=True)
    fills = models.JSONField(default=list, blank=True)
    trades = models.JSONField(default=list, blank=True)
    regime = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    duration_seconds = models.FloatField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BacktestStatus.values), name="backtest_status_valid"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="backtest_range_valid"),
        ]

    def __str__(self) -> str:
        return f"backtest #{self.pk} {self.strategy_id_text} {self.start_date}…{self.end_date} ({self.status})"


class OptimizationKind(models.TextChoices):
    GRID = "grid", "Grid search"
    WALKFORWARD = "walkforward", "Walk-forward"
    SEARCH = "search", "Bayesian search"
    MONTECARLO = "montecarlo", "Monte Carlo"


class OptimizationStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class OptimizationRun(models.Model):
    """One research run: a grid, walk-forward or Bayesian search over a strategy's parameters (one
    :class:`OptimizationTrial` per combination), or a Monte Carlo study of a backtest's daily returns."""

    kind = models.CharField(max_length=12, choices=OptimizationKind.choices)
    status = models.CharField(max_length=10, choices=OptimizationStatus.choices, default=OptimizationStatus.PENDING)
    strategy = models.ForeignKey(
        Strategy, null=True, blank=True, on_delete=models.SET_NULL, related_name="optimizations"
    )
    strategy_id_text = models.CharField(max_length=50, db_index=True, help_text="kept if the strategy row goes")
    strategy_class = models.CharField(max_length=80)
    start_date = models.DateField()
    end_date = models.DateField()
    metric = models.CharField(max_length=30, blank=True, default="", help_text="ranking metric (higher is better)")
    space = models.JSONField(default=dict, blank=True, help_text="grid (name → values) or search ranges")
    fixed_params = models.JSONField(default=dict, blank=True, help_text="parameters set for every trial")
    options = models.JSONField(default=dict, blank=True, help_text="windows, trials, seed, paths, execution …")
    backtest = models.ForeignKey(
        BacktestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="optimizations"
    )
    total_trials = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True, help_text="walk-forward or Monte Carlo results, best trial")
    audit = models.JSONField(default=dict, blank=True, help_text="deflated Sharpe, PBO, plateau, verdict")
    error = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OptimizationKind.values), name="optimization_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=OptimizationStatus.values), name="optimization_status_valid"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="optimization_range_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.strategy_id_text} ({self.status})"


class TrialStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class OptimizationTrial(models.Model):
    """One parameter combination of a run: its parameters, the backtest's metrics and equity, and who ran it.

    Unique per (run, parameter key): a retried or duplicated task can never add a second row. Workers
    claim a pending trial with a conditional update (``claim_token``); a claim older than
    ``research.claim_timeout_seconds`` counts as abandoned and may be claimed again.
    """

    run = models.ForeignKey(OptimizationRun, on_delete=models.CASCADE, related_name="trials")
    number = models.PositiveIntegerField(help_text="position in the grid / Optuna trial number")
    key = models.CharField(max_length=40, help_text="SHA-1 of the parameters' canonical JSON")
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=TrialStatus.choices, default=TrialStatus.PENDING)
    value = models.FloatField(null=True, blank=True, help_text="ranking score, higher is better")
    metrics = models.JSONField(default=dict, blank=True)
    dates = models.JSONField(default=list, blank=True)
    equity = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=64, blank=True, default="")
    claimed_by = models.CharField(max_length=200, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="trial_unique_params_per_run"),
            models.UniqueConstraint(fields=["run", "number"], name="trial_unique_number_per_run"),
            models.CheckConstraint(condition=Q(status__in=TrialStatus.values), name="trial_status_valid"),
        ]
        indexes = [models.Index(fields=["run", "status"], name="trial_run_status")]

    def __str__(self) -> str:
        return f"trial {self.number} of run #{self.run_id} ({self.status})"
