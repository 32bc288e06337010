"""API endpoints of the trading app."""

from __future__ import annotations

from django.urls import path

from trading.apis import control, indicators, status, trades
from trading.broker import apis as broker_apis

app_name = "trading-api"
urlpatterns: list = [
    path("schwab/status", broker_apis.SchwabStatusApi.as_view(), name="schwab-status"),
    path("schwab/auth/status", broker_apis.SchwabAuthStatusApi.as_view(), name="schwab-auth-status"),
    path("schwab/auth/initiate", broker_apis.SchwabAuthInitiateApi.as_view(), name="schwab-auth-initiate"),
    path("schwab/auth/callback", broker_apis.SchwabAuthCallbackApi.as_view(), name="schwab-auth-callback"),
    path("schwab/token", broker_apis.SchwabTokenApi.as_view(), name="schwab-token"),
    path("trades", trades.TradeListApi.as_view(), name="trade-list"),
    path("trades/export", trades.TradeExportApi.as_view(), name="trade-export"),
    path("trades/stats", trades.TradeStatsApi.as_view(), name="trade-stats"),
    path("trades/execute", trades.TradeExecuteApi.as_view(), name="trade-execute"),
    path("trades/<int:trade_id>", trades.TradeDetailApi.as_view(), name="trade-detail"),
    path("status", status.StatusApi.as_view(), name="status"),
    path("status/regime", status.RegimeStatusApi.as_view(), name="status-regime"),
    # before strategies-api's strategies/<id> (see jutsu/urls.py: trading's routes are included first)
    path("strategies/status", status.StrategiesStatusApi.as_view(), name="strategies-status"),
    path("strategies/primary/state", status.StrategyStateApi.as_view(primary=True), name="strategy-primary-state"),
    path("strategies/<slug:strategy_id>/state", status.StrategyStateApi.as_view(), name="strategy-state"),
    path("control/state", control.EngineStateApi.as_view(), name="control-state"),
    path("control/start", control.EngineStartApi.as_view(), name="control-start"),
    path("control/restart", control.EngineStartApi.as_view(restart=True), name="control-restart"),
    path("control/stop", control.EngineStopApi.as_view(), name="control-stop"),
    path("control/mode", control.EngineModeApi.as_view(), name="control-mode"),
    path("control/flatten", control.FlattenApi.as_view(), name="control-flatten"),
    path("control/data-staleness", control.DataStalenessApi.as_view(), name="control-data-staleness"),
    path("control/data-refresh", control.DataRefreshApi.as_view(), name="control-data-refresh"),
    path("indicators", indicators.IndicatorsApi.as_view(), name="indicators"),
    path("indicators/history", indicators.IndicatorHistoryApi.as_view(), name="indicator-history"),
    path("indicators/descriptions", indicators.IndicatorDescriptionsApi.as_view(), name="indicator-descriptions"),
]
