"""API endpoints of the performance app (mounted under ``/api/``; no trailing slashes)."""

from __future__ import annotations

from django.urls import path

from performance import apis, apis_v1

app_name = "performance-api"
urlpatterns = [
    path("v2/daily-performance", apis.DailyPerformanceLatestApi.as_view(), name="daily-latest"),
    path("v2/daily-performance/history", apis.DailyPerformanceHistoryApi.as_view(), name="daily-history"),
    path("v2/daily-performance/comparison", apis.DailyPerformanceComparisonApi.as_view(), name="daily-comparison"),
    path("v2/daily-performance/eod-status", apis.EODStatusListApi.as_view(), name="eod-status"),
    path("v2/daily-performance/eod-status/today", apis.EODStatusTodayApi.as_view(), name="eod-status-today"),
    # V1, deprecated (Deprecation/Sunset/Link headers)
    path("performance", apis_v1.PerformanceV1Api.as_view(), name="v1-performance"),
    path("performance/equity-curve", apis_v1.EquityCurveV1Api.as_view(), name="v1-equity-curve"),
    path("performance/drawdown", apis_v1.DrawdownV1Api.as_view(), name="v1-drawdown"),
    path("performance/regime-breakdown", apis_v1.RegimeBreakdownV1Api.as_view(), name="v1-regime-breakdown"),
]
