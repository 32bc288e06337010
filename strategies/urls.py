"""Pages of the strategies app (mounted at ``/``)."""

from __future__ import annotations

from django.urls import path

from strategies import views

app_name = "strategies"
urlpatterns = [
    path("backtests/", views.backtest_list, name="backtest_list"),
    path("backtests/<int:run_id>/", views.backtest_detail, name="backtest_detail"),
    path("optimizations/", views.optimization_list, name="optimization_list"),
    path("optimizations/new/", views.optimization_start, name="optimization_start"),
    path("optimizations/<int:run_id>/", views.optimization_detail, name="optimization_detail"),
]
