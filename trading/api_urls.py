"""API endpoints of the trading app."""

from __future__ import annotations

from django.urls import path

from trading.apis import trades
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
    path("trades/<int:trade_id>", trades.TradeDetailApi.as_view(), name="trade-detail"),
]
