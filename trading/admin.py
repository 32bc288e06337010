"""Admin of the trading app.

Market data is append-only here too: bars, coverage and the audit log are read-only; the only
actions mark bars invalid / valid again, through the audited service.
"""

from __future__ import annotations

from django.contrib import admin, messages

from jutsu.admin_base import ReadOnlyAdmin
from trading.marketdata.corrections import market_data_set_validity
from trading.models import DataAuditLog, DataMetadata, MarketData

# ── Market data ────────────────────────────────────────────────────────────────────────────────────


@admin.register(MarketData)
class MarketDataAdmin(ReadOnlyAdmin):
    list_display = (
        "symbol", "timeframe", "timestamp", "open", "high", "low", "close", "volume", "data_source", "is_valid",
    )  # fmt: skip
    list_filter = ("symbol", "timeframe", "data_source", "is_valid")
    search_fields = ("symbol",)
    date_hierarchy = "timestamp"
    ordering = ("symbol", "timeframe", "-timestamp")
    show_full_result_count = False
    list_per_page = 100
    actions = ("mark_invalid", "mark_valid")

    def has_flag_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def _set_validity(self, request, queryset, is_valid: bool) -> None:
        verb = "valid" if is_valid else "invalid"
        changed = market_data_set_validity(
            bar_ids=queryset.values_list("pk", flat=True),
            is_valid=is_valid,
            reason=f"marked {verb} in the admin by {request.user.get_username()}",
            user=request.user,
            actor="admin",
        )
        self.message_user(request, f"{changed} bar(s) marked {verb} (audited).", messages.SUCCESS)

    @admin.action(description="Mark selected bars invalid (audited; excluded from backtests)", permissions=["flag"])
    def mark_invalid(self, request, queryset):
        self._set_validity(request, queryset, False)

    @admin.action(description="Mark selected bars valid again (audited)", permissions=["flag"])
    def mark_valid(self, request, queryset):
        self._set_validity(request, queryset, True)


@admin.register(DataMetadata)
class DataMetadataAdmin(ReadOnlyAdmin):
    list_display = (
        "symbol", "timeframe", "first_bar_at", "last_bar_at", "bar_count", "valid_bar_count", "last_sync_at",
        "last_source",
    )  # fmt: skip
    list_filter = ("timeframe", "last_source")
    search_fields = ("symbol",)


@admin.register(DataAuditLog)
class DataAuditLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at", "operation", "outcome", "symbol", "timeframe", "data_source", "bar_timestamp", "inserted",
        "skipped_duplicate", "repaired", "rejected", "flagged", "user", "actor",
    )  # fmt: skip
    list_filter = ("operation", "outcome", "data_source", "timeframe")
    search_fields = ("symbol", "message", "file", "actor")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    show_full_result_count = False
