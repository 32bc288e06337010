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
