"""API endpoints of the strategies app: strategies and backtest runs."""

from __future__ import annotations

from django.urls import path

from strategies import apis, apis_optimization

app_name = "strategies-api"
urlpatterns = [
    path("strategies", apis.StrategyListApi.as_view(), name="strategy-list"),
    path("strategies/<slug:strategy_id>", apis.StrategyDetailApi.as_view(), name="strategy-detail"),
    path("backtests", apis.BacktestListApi.as_view(), name="backtest-list"),
    path("backtests/<int:run_id>", apis.BacktestDetailApi.as_view(), name="backtest-detail"),
    path("backtests/<int:run_id>/equity", apis.BacktestDetailApi.as_view(part="equity"), name="backtest-equity"),
    path("backtests/<int:run_id>/trades", apis.BacktestDetailApi.as_view(part="trades"), name="backtest-trades"),
    path("backtests/<int:run_id>/regime", apis.BacktestDetailApi.as_view(part="regime"), name="backtest-regime"),
    path("backtests/<int:run_id>/config", apis.BacktestDetailApi.as_view(part="config"), name="backtest-config"),
    path("optimizations", apis_optimization.OptimizationListApi.as_view(), name="optimization-list"),
    path("optimizations/<int:run_id>", apis_optimization.OptimizationDetailApi.as_view(), name="optimization-detail"),
]
