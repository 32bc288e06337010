"""Admin of the trading app.

Market data is append-only here too: bars, coverage and the audit log are read-only; the only
actions mark bars invalid / valid again, through the audited service.

The live-trading ledger (accounts, positions, orders, trades), the regime states and the trading runs are
read-only: they change only through the trading job, manual trades and flatten (services that keep
positions equal to their trades). The engine state is read-only too; its actions start, stop and restart
the engine through the same services as ``manage.py engine`` and the control API. Trading real money
(``online_live``) is never started from here — that needs the typed confirmation and a recent second factor
of the control API.

The broker token is shown without its (encrypted) content and changes only through the Schwab login API;
reconciliation reports are written by the ``reconciliation`` job.
"""

from __future__ import annotations

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from jutsu.admin_base import ReadOnlyAdmin, percent_column, ratio_column
from trading.marketdata.corrections import market_data_set_validity
from trading.models import (
    BrokerToken,
    DataAuditLog,
    DataMetadata,
    EngineState,
    LiveTrade,
    MarketData,
    Order,
    Position,
    ReconciliationReport,
    RegimeState,
    StrategyRunResult,
    TradingAccount,
    TradingRun,
)

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


# ── Live trading (read-only) ───────────────────────────────────────────────────────────────────────


@admin.register(TradingAccount)
class TradingAccountAdmin(ReadOnlyAdmin):
    list_display = ("strategy_id", "mode", "started_on", "initial_capital", "cash", "last_trading_date", "updated_at")
    list_filter = ("mode", "strategy_id")


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = (
        "strategy_id", "mode", "symbol", "quantity", "avg_cost", "last_price", "market_value", "unrealized_pnl",
        "last_updated",
    )  # fmt: skip
    list_filter = ("mode", "strategy_id", "symbol")
    search_fields = ("symbol", "strategy_id")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "client_order_id", "trading_date", "status", "side", "symbol", "requested_qty", "filled_qty", "ref_price",
        "avg_fill_price", "reason", "broker_order_id",
    )  # fmt: skip
    list_filter = ("mode", "status", "side", "reason", "strategy_id")
    search_fields = ("client_order_id", "broker_order_id", "symbol")
    date_hierarchy = "trading_date"
    show_full_result_count = False


@admin.register(LiveTrade)
class LiveTradeAdmin(ReadOnlyAdmin):
    list_display = (
        "timestamp", "trading_date", "strategy_id", "mode", "action", "quantity", "symbol", "fill_price",
        "commission", percent_column("slippage_pct", "slippage", fraction=False), "realized_pnl", "reason",
        "strategy_cell", "reconciled",
    )  # fmt: skip
    list_filter = ("mode", "action", "reason", "strategy_id", "reconciled")
    search_fields = ("symbol", "broker_order_id", "strategy_id")
    date_hierarchy = "trading_date"
    list_select_related = ("order",)
    show_full_result_count = False


@admin.register(RegimeState)
class RegimeStateAdmin(ReadOnlyAdmin):
    list_display = (
        "trading_date", "strategy_id", "mode", "strategy_cell", "trend_state", "vol_state",
        ratio_column("t_norm", "T norm", digits=3), ratio_column("z_score", "z-score", digits=2),
        "rebalance", "grade", "final_cell",
    )  # fmt: skip
    list_filter = ("mode", "strategy_id", "grade", "strategy_cell")
    date_hierarchy = "trading_date"


class StrategyRunResultInline(admin.TabularInline):
    model = StrategyRunResult
    extra = 0
    can_delete = False
    fields = ("strategy_id", "mode", "status", "orders_planned", "orders_filled", "duration_seconds", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TradingRun)
class TradingRunAdmin(ReadOnlyAdmin):
    list_display = ("trading_date", "mode", "status", "as_of", "started_at", "finished_at", "message")
    list_filter = ("status", "mode")
    date_hierarchy = "trading_date"
    inlines = (StrategyRunResultInline,)


# ── Engine (start / stop through the services) ────────────────────────────────────────────────────

LIVE_REFUSED = (
    "Real-money trading (online_live) is never started from the admin: use POST /api/control/start (or "
    "/api/control/mode) with confirm YES and a second factor verified within the last 5 minutes, or "
    "manage.py engine --confirm YES on the server."
)


@admin.register(EngineState)
class EngineStateAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = (
        "state", "mode", "started_at", "last_execution_at", "next_execution_at", "execution_count", "last_error",
        "updated_by", "updated_at",
    )  # fmt: skip
    actions = ("engine_start_action", "engine_stop_action", "engine_restart_action", "paper_action")

    def changelist_view(self, request, extra_context=None):
        from trading.services.engine import engine_state_get

        engine_state_get()  # the single row exists from the first look on (a fresh database: stopped, paper)
        return super().changelist_view(request, extra_context)

    def has_engine_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_platform_permission("engine:control")

    def _run(self, request, action, *, mode: str | None = None) -> None:
        from jutsu.errors import JutsuError
        from trading.modes import Mode
        from trading.services.engine import engine_state_get, engine_status

        target = mode or engine_state_get().mode
        if action.__name__ != "engine_stop" and target == Mode.ONLINE_LIVE:
            self.message_user(request, LIVE_REFUSED, messages.ERROR)
            return
        try:
            action(**({"mode": mode} if mode else {}), user=request.user, actor="admin")
        except JutsuError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        status = engine_status()
        self.message_user(request, f"Engine {status['state']} in {status['mode']} mode.", messages.SUCCESS)

    @admin.action(description="Start the engine (its current mode)", permissions=["engine"])
    def engine_start_action(self, request, queryset):
        from trading.services.engine import engine_start

        self._run(request, engine_start)

    @admin.action(description="Stop the engine (kill switch: no further orders)", permissions=["engine"])
    def engine_stop_action(self, request, queryset):
        from trading.services.engine import engine_stop

        self._run(request, engine_stop)

    @admin.action(description="Restart the engine (clears an error)", permissions=["engine"])
    def engine_restart_action(self, request, queryset):
        from trading.services.engine import engine_restart

        self._run(request, engine_restart)

    @admin.action(description="Start in paper mode", permissions=["engine"])
    def paper_action(self, request, queryset):
        from trading.services.engine import engine_start

        self._run(request, engine_start, mode="paper")


# ── Broker ─────────────────────────────────────────────────────────────────────────────────────────


@admin.register(BrokerToken)
class BrokerTokenAdmin(ReadOnlyAdmin):
    list_display = ("broker", "refresh_issued_at", "refresh_expires_at", "access_expires_at", "expiry_alert_tier")
    exclude = ("token_encrypted",)

    @admin.display(description="Refresh token expires")
    def refresh_expires_at(self, obj: BrokerToken):
        return obj.refresh_expires_at


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdmin):
    list_display = (
        "trading_date", "broker", "status", "matched", "missing_locally", "missing_at_broker", "price_mismatches",
        "quantity_mismatches", "checked_at",
    )  # fmt: skip
    list_filter = ("status", "broker")
    date_hierarchy = "trading_date"
