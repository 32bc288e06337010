"""Pages of the strategies app (mounted at ``/``)."""

from __future__ import annotations

from django.urls import path

from strategies import views

app_name = "strategies"
urlpatterns = [
    path("backtests/", views.backtest_list, name="backtest_list"),
    path("backtests/new/", views.backtest_start, name="backtest_start"),
    path("backtests/compare/", views.backtest_compare, name="backtest_compare"),
    path("backtests/<int:run_id>/", views.backtest_detail, name="backtest_detail"),
    path("backtests/<int:run_id>/trades/", views.backtest_trades, name="backtest_trades"),
    path("backtests/<int:run_id>/status/", views.backtest_status, name="backtest_status"),
    path("backtests/<int:run_id>/series/", views.backtest_series, name="backtest_series"),
    path("backtests/<int:run_id>/export.json", views.backtest_download, {"fmt": "json"}, name="backtest_export_json"),
    path("backtests/<int:run_id>/export.csv", views.backtest_download, {"fmt": "csv"}, name="backtest_export_csv"),
    path("optimizations/", views.optimization_list, name="optimization_list"),
    path("optimizations/new/", views.optimization_start, name="optimization_start"),
    path("optimizations/<int:run_id>/", views.optimization_detail, name="optimization_detail"),
]
