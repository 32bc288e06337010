"""Optimisation API (DRF): list and start research runs, read one run (JSON or its ranked results as CSV)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import CsvCapableMixin, PageInput, paginated_response, query_params_valid, validated
from jutsu.errors import NotFound
from strategies.engine.optimize import MONTE_CARLO_METHODS, RANKING_METRICS
from strategies.engine.optimize.montecarlo import STATISTICS as MONTE_CARLO_STATISTICS
from strategies.models import OptimizationKind, OptimizationStatus
from strategies.selectors import optimization_run_get, optimization_runs_list
from strategies.services.optimization_analysis import optimization_export, optimization_montecarlo_execute
from strategies.services.optimization_runs import OptimizationRequest, optimization_run_start

STARTABLE_KINDS = [
    OptimizationKind.GRID,
    OptimizationKind.WALKFORWARD,
    OptimizationKind.SEARCH,
    OptimizationKind.MONTECARLO,
]
PERCENTILE_COLUMNS = ("p5", "p25", "p50", "p75", "p95", "mean")
FORMAT_PARAMETER = OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the ranked results")


class OptimizationListItem(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    strategy_id = serializers.CharField(source="strategy_id_text")
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    metric = serializers.CharField()
    total_trials = serializers.IntegerField()
    completed_trials = serializers.IntegerField(default=0)
    failed_trials = serializers.IntegerField(default=0)
    verdict = serializers.SerializerMethodField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_verdict(self, run) -> str | None:
        return (run.audit or {}).get("verdict")


class OptimizationListInput(PageInput):
    kind = serializers.ChoiceField(choices=OptimizationKind.values, required=False)
    status = serializers.ChoiceField(choices=OptimizationStatus.values, required=False)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False)


class OptimizationStartInput(serializers.Serializer):
    """Grid / walk-forward: strategy, range, grid (name → list of values), fixed params, metric, windows.
    Search: strategy, range, ranges (name → {low, high[, step][, log]} or {choices}), trials, seed, batch size.
    Monte Carlo: ``backtest_id``, ``paths``, ``seed``, ``method``, ``block_size``."""

    kind = serializers.ChoiceField(choices=STARTABLE_KINDS)
    strategy_id = serializers.CharField(max_length=50, required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    grid = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), allow_empty=True), required=False
    )
    params = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    metric = serializers.ChoiceField(choices=list(RANKING_METRICS), default="sharpe")
    is_bars = serializers.IntegerField(min_value=2, max_value=5000, default=252)
    oos_bars = serializers.IntegerField(min_value=1, max_value=5000, default=63)
    ranges = serializers.DictField(child=serializers.JSONField(), required=False)
    trials = serializers.IntegerField(min_value=1, max_value=10_000, default=50)
    batch_size = serializers.IntegerField(min_value=1, max_value=256, default=4)
    backtest_id = serializers.IntegerField(required=False)
    paths = serializers.IntegerField(min_value=1, max_value=100_000, default=1000)
    seed = serializers.IntegerField(min_value=0, max_value=2**32 - 1, required=False, allow_null=True)
    method = serializers.ChoiceField(choices=MONTE_CARLO_METHODS, default="bootstrap")
    block_size = serializers.IntegerField(min_value=1, max_value=1000, default=20)

    def validate(self, data):
        if data["kind"] == OptimizationKind.MONTECARLO:
            if data.get("backtest_id") is None:
                raise serializers.ValidationError({"backtest_id": "required for a Monte Carlo study"})
            return data
        space = "ranges" if data["kind"] == OptimizationKind.SEARCH else "grid"
        missing = [name for name in ("strategy_id", "start", "end", space) if name not in data]
        if missing:
            raise serializers.ValidationError({name: f"required for a {data['kind']} run" for name in missing})
        return data


class OptimizationListApi(CsvCapableMixin, APIView):
    """GET: runs newest first (``kind``, ``status``, ``limit``/``offset``, ``format=csv``).
    POST (admin): start a grid, walk-forward or search on the research workers (202), or run a Monte Carlo
    study (201)."""

    permissions = {"GET": "performance:read", "POST": "backtests:run"}
    pagination_class = LimitOffsetPagination

    @extend_schema(parameters=[OptimizationListInput], responses=OptimizationListItem(many=True))
    def get(self, request):
        params = query_params_valid(OptimizationListInput, request)
        runs = optimization_runs_list(kind=params.get("kind"), status=params.get("status"))
        return paginated_response(self, request, runs, OptimizationListItem)

    def csv_rows(self, data):
        return "optimizations.csv", list(data["results"])

    @extend_schema(request=OptimizationStartInput, responses={201: OptimizationListItem, 202: OptimizationListItem})
    def post(self, request):
        data = validated(OptimizationStartInput, request.data)
        if data["kind"] == OptimizationKind.MONTECARLO:
            run = optimization_montecarlo_execute(
                backtest_id=data["backtest_id"],
                paths=data["paths"],
                seed=data.get("seed"),
                method=data["method"],
                block_size=data["block_size"],
                user=request.user,
            )
            return Response(OptimizationListItem(run).data, status=201)
        run = optimization_run_start(
            OptimizationRequest(
                kind=data["kind"],
                strategy_id=data["strategy_id"],
                start=data["start"],
                end=data["end"],
                space=data["ranges"] if data["kind"] == OptimizationKind.SEARCH else data["grid"],
                fixed_params=data["params"],
                metric=data["metric"],
                is_bars=data["is_bars"],
                oos_bars=data["oos_bars"],
                n_trials=data["trials"],
                seed=data.get("seed"),
                batch_size=data["batch_size"],
            ),
            execution="celery",
            user=request.user,
        )
        return Response(OptimizationListItem(run).data, status=202)


def _flat_result(row: dict) -> dict:
    """One CSV line of a ranked result: rank, trial, ``param_<name>`` columns, then the metrics."""
    out = {"rank": row["rank"], "trial": row["number"]}
    out.update({f"param_{k}": v for k, v in row["params"].items()})
    out.update({k: v for k, v in row["metrics"].items() if k != "regime_cells"})
    return out


class OptimizationDetailApi(CsvCapableMixin, APIView):
    """The whole run (results best first, audit, walk-forward or Monte Carlo output); ``format=csv``: the
    ranked results (Monte Carlo: the percentiles)."""

    permission = "performance:read"

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=dict)
    def get(self, request, run_id: int):
        run = optimization_run_get(run_id)
        if run is None:
            raise NotFound(f"optimisation run {run_id} not found")
        return Response(optimization_export(run))

    def csv_rows(self, data):
        if data["kind"] == OptimizationKind.MONTECARLO:
            # JSON objects come back from PostgreSQL with sorted keys: put rows and columns in the study's order
            rows = [
                {"statistic": name, **{k: data["percentiles"][name].get(k) for k in PERCENTILE_COLUMNS}}
                for name in MONTE_CARLO_STATISTICS
                if name in data["percentiles"]
            ]
            return f"montecarlo-{data['id']}.csv", rows
        return f"optimization-{data['id']}.csv", [_flat_result(row) for row in data["results"]]
