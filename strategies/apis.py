"""Strategies and backtests API (DRF). Reads through selectors, writes through services."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import PageInput, paginated_response, query_params_valid
from jutsu.errors import InvalidParameter, NotFound
from strategies.engine.backtest import FILL_MODES
from strategies.engine.strategy import get_strategy_class
from strategies.models import BacktestStatus, Strategy
from strategies.selectors import backtest_run_get, backtest_runs_list, strategies_list, strategy_get
from strategies.services.backtests import BacktestRequest, backtest_export, backtest_run_start
from strategies.services.registry import strategy_effective_params


class StrategyOutput(serializers.ModelSerializer):
    class Meta:
        model = Strategy
        fields = [
            "strategy_id",
            "display_name",
            "strategy_class",
            "description",
            "is_primary",
            "is_active",
            "paper_trading",
            "execution_order",
            "initial_capital",
            "baseline_symbol",
            "parameters",
            "execution",
            "synced_at",
        ]


class StrategyListApi(APIView):
    permission = "dashboard:read"

    @extend_schema(responses=StrategyOutput(many=True))
    def get(self, request):
        active = request.query_params.get("active") in ("1", "true", "yes")
        return Response(StrategyOutput(strategies_list(active_only=active), many=True).data)


class StrategyDetailApi(APIView):
    permission = "dashboard:read"

    @extend_schema(responses=dict)
    def get(self, request, strategy_id: str):
        row = strategy_get(strategy_id)
        data = StrategyOutput(row).data
        data["effective_parameters"] = strategy_effective_params(row)
        data["parameter_specs"] = get_strategy_class(row.strategy_class).describe()["params"]
        return Response(data)


class BacktestListItem(serializers.Serializer):
    id = serializers.IntegerField()
    strategy_id = serializers.CharField(source="strategy_id_text")
    strategy_class = serializers.CharField()
    status = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    initial_capital = serializers.DecimalField(max_digits=18, decimal_places=6)
    final_equity = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    total_return = serializers.SerializerMethodField()
    sharpe = serializers.SerializerMethodField()
    max_drawdown = serializers.SerializerMethodField()
    duration_seconds = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    error = serializers.CharField()

    def get_total_return(self, run) -> float | None:
        return run.metrics.get("total_return")

    def get_sharpe(self, run) -> float | None:
        return run.metrics.get("sharpe")

    def get_max_drawdown(self, run) -> float | None:
        return run.metrics.get("max_drawdown")


class BacktestStartInput(serializers.Serializer):
    strategy_id = serializers.CharField(max_length=50)
    start = serializers.DateField()
    end = serializers.DateField()
    params = serializers.DictField(child=serializers.CharField(allow_blank=False), required=False, default=dict)
    initial_capital = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, min_value=Decimal("1"))
    commission_per_share = serializers.DecimalField(
        max_digits=10, decimal_places=6, required=False, min_value=Decimal("0")
    )
    slippage = serializers.DecimalField(max_digits=8, decimal_places=6, required=False, min_value=Decimal("0"))
    fill = serializers.ChoiceField(choices=FILL_MODES, default="close")


class BacktestListApi(APIView):
    """GET: runs (``strategy_id``, ``status``, ``limit``/``offset``). POST (admin): start a run on a worker."""

    permissions = {"GET": "performance:read", "POST": "backtests:run"}
    pagination_class = LimitOffsetPagination

    @extend_schema(responses=BacktestListItem(many=True))
    def get(self, request):
        query_params_valid(PageInput, request)
        status = request.query_params.get("status")
        if status and status not in BacktestStatus.values:
            raise InvalidParameter(f"status: {status!r} is not one of {', '.join(BacktestStatus.values)}")
        runs = backtest_runs_list(strategy_id=request.query_params.get("strategy_id"), status=status)
        return paginated_response(self, request, runs, BacktestListItem)

    @extend_schema(request=BacktestStartInput, responses={202: BacktestListItem})
    def post(self, request):
        serializer = BacktestStartInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = backtest_run_start(
            BacktestRequest(
                strategy_id=data["strategy_id"],
                start=data["start"],
                end=data["end"],
                param_overrides=data["params"],
                initial_capital=data.get("initial_capital"),
                commission_per_share=data.get("commission_per_share"),
                slippage=data.get("slippage"),
                fill=data["fill"],
            ),
            user=request.user,
        )
        return Response(BacktestListItem(run).data, status=202)


def _run_or_404(run_id: int):
    run = backtest_run_get(run_id)
    if run is None:
        raise NotFound(f"backtest run {run_id} not found")
    return run


class BacktestDetailApi(APIView):
    """The whole run: parameters, config, metrics and every series. ``part`` selects one series."""

    permission = "performance:read"
    part: str | None = None
    PARTS = {
        "equity": ("equity_curve", "baseline_curve"),
        "trades": ("trades", "fills"),
        "regime": ("regime",),
        "config": ("params", "config", "data_range", "warnings"),
    }

    @extend_schema(responses=dict)
    def get(self, request, run_id: int):
        document = backtest_export(_run_or_404(run_id))
        if self.part:
            document = {"id": document["id"], **{k: document[k] for k in self.PARTS[self.part]}}
        return Response(document)
