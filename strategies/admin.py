"""Admin of the strategies app: the strategy registry and backtest runs.

Strategies are mirrored from the reviewed YAML by ``sync_strategies`` and change only there or through
config overrides, so their rows are read-only here (with their sync history). Backtest runs are results:
read-only, with returns and drawdowns as percentages, a link to the run's page, and deletable by
superusers (research clutter). New runs start from the Backtests page or the API.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from jutsu.admin_base import ReadOnlyAdmin
from strategies import display
from strategies.models import BacktestRun, Strategy
from strategies.selectors import SERIES_FIELDS


@admin.register(Strategy)
class StrategyAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = (
        "strategy_id", "display_name", "strategy_class", "is_primary", "is_active", "paper_trading",
        "initial_capital", "baseline_symbol", "in_registry", "synced_at",
    )  # fmt: skip
    list_filter = ("is_active", "is_primary", "in_registry", "strategy_class")
    search_fields = ("strategy_id", "display_name", "description")
    readonly_fields = ("parameter_table",)
    exclude = ("parameters",)

    @admin.display(description="parameters")
    def parameter_table(self, strategy) -> str:
        rows = sorted((strategy.parameters or {}).items())
        if not rows:
            return "—"
        body = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((key, value) for key, value in rows))
        return format_html('<table class="parameters">{}</table>', body)


def _metric_column(key: str, description: str):
    @admin.display(description=description)
    def column(run: BacktestRun) -> str:
        return display.fmt_metric(key, (run.metrics or {}).get(key))

    column.__name__ = key
    return column


@admin.register(BacktestRun)
class BacktestRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "strategy_id_text", "status", "start_date", "end_date",
        _metric_column("total_return", "total return"), _metric_column("cagr", "CAGR"),
        _metric_column("sharpe", "Sharpe"), _metric_column("max_drawdown", "max drawdown"),
        _metric_column("total_trades", "trades"), "started_by", "created_at", "page_link",
    )  # fmt: skip
    list_filter = ("status", "strategy_id_text", ("created_at", admin.DateFieldListFilter))
    search_fields = ("strategy_id_text", "error")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("started_by",)
    fields = (
        "strategy_id_text", "strategy_class", "status", "start_date", "end_date", "data_start", "data_end",
        "initial_capital", "final_equity", "metric_table", "error", "duration_seconds", "started_by",
        "created_at", "finished_at", "page_link",
    )  # fmt: skip
    readonly_fields = ("metric_table", "page_link")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer(*SERIES_FIELDS)  # the list never needs the series (MBs per run)
        return queryset

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    @admin.display(description="page")
    def page_link(self, run: BacktestRun) -> str:
        return format_html('<a href="{}">open ›</a>', reverse("strategies:backtest_detail", args=[run.pk]))

    @admin.display(description="metrics")
    def metric_table(self, run: BacktestRun) -> str:
        rows = display.metric_rows(run.metrics or {})
        if not rows:
            return "—"
        body = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((r["label"], r["value"]) for r in rows))
        return format_html('<table class="metrics">{}</table>', body)
