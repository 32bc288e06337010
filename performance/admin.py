"""Admin of the performance app: snapshots (view, delete), daily performance and EOD status (read-only).

Rows change only through the services (EOD job, backfill); the one action re-finalises chosen dates
through the same service as the job.
"""

from __future__ import annotations

from django.contrib import admin, messages

from jutsu.admin_base import ReadOnlyAdmin, percent_column, ratio_column
from jutsu.errors import JutsuError
from performance.models import DailyPerformance, EODJobStatus, EODStatus, PerformanceSnapshot
from performance.services.eod import eod_finalize_date


@admin.register(PerformanceSnapshot)
class PerformanceSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("timestamp", "strategy_id", "mode", "source", "total_equity", "cash", "positions_value")
    list_filter = ("mode", "source", "strategy_id")
    search_fields = ("strategy_id",)
    date_hierarchy = "timestamp"
    ordering = ("-timestamp",)
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(DailyPerformance)
class DailyPerformanceAdmin(ReadOnlyAdmin):
    list_display = (
        "trading_date", "entity_type", "entity_id", "mode", "total_equity",
        percent_column("daily_return"), percent_column("cumulative_return"), percent_column("drawdown"),
        ratio_column("sharpe_ratio", "Sharpe"), percent_column("max_drawdown"), "strategy_cell", "finalized_at",
    )  # fmt: skip
    list_filter = ("entity_type", "mode", "entity_id")
    search_fields = ("entity_id",)
    date_hierarchy = "trading_date"
    ordering = ("-trading_date", "entity_type", "entity_id")
    show_full_result_count = False
    list_per_page = 100


@admin.register(EODJobStatus)
class EODJobStatusAdmin(ReadOnlyAdmin):
    list_display = (
        "trading_date", "status", "started_at", "completed_at", "strategies_processed", "strategies_total",
        "baselines_processed", "baselines_total", "attempts", "trigger",
    )  # fmt: skip
    list_filter = ("status",)
    date_hierarchy = "trading_date"
    ordering = ("-trading_date",)
    actions = ("refinalize",)

    def has_refinalize_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description="Finalise the selected dates again", permissions=["refinalize"])
    def refinalize(self, request, queryset):
        for day in sorted(queryset.values_list("trading_date", flat=True)):
            try:
                status = eod_finalize_date(day, trigger=f"admin:{request.user.get_username()}")
            except JutsuError as exc:
                self.message_user(request, f"{day}: {exc}", messages.ERROR)
                continue
            level = messages.SUCCESS if status.status == EODStatus.COMPLETED else messages.WARNING
            self.message_user(request, f"{day}: {status.status}", level)
