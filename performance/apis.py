"""Performance API. V2 reads the daily performance table; V1 endpoints are deprecated thin views over it.

Query conventions (``02_platform.md``): ``strategy_id``, ``mode`` (default ``paper``), ``days`` or
``start_date``/``end_date``, ``limit``/``offset``, ``format=csv``. Invalid parameters are 400 with a ``detail``
naming the parameter. Every view needs ``performance:read``.

``days=N`` selects the N calendar days ending at ``end_date`` or, without it, at the entity's latest row — so a
history seeded from an old backtest still returns its last N days.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import CsvCapableMixin, DateRangeInput, PageInput, paginated_response, query_params_valid
from jutsu.errors import NotFound
from jutsu.scheduler import calendar
from performance import selectors
from performance.cache import cached_read
from performance.models import DAILY_PERFORMANCE_DATA, DailyPerformance, EntityType, EODJobStatus
from trading.modes import Mode

DEFAULT_MODE = Mode.PAPER
CSV_FIELDS = (
    "trading_date",
    "entity_type",
    "entity_id",
    "mode",
    "total_equity",
    "cash",
    "positions_value",
    "daily_return",
    "cumulative_return",
    "drawdown",
    "high_water_mark",
    "max_drawdown",
    "volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "calmar_ratio",
    "cagr",
    "strategy_cell",
    "trend_state",
    "vol_state",
    "t_norm",
    "z_score",
    "sma_fast",
    "sma_slow",
    "total_trades",
    "winning_trades",
    "losing_trades",
    "win_rate",
    "baseline_symbol",
    "trading_days_count",
    "days_since_previous",
    "is_first_day",
)


# ── input ──────────────────────────────────────────────────────────────────────────────────────────


class RangeInput(DateRangeInput):
    """Shared query parameters; DRF's messages name the field (``days: A valid integer is required.``)."""

    mode = serializers.ChoiceField(choices=Mode.values, default=DEFAULT_MODE)


class EntityRangeInput(PageInput, RangeInput):
    strategy_id = serializers.CharField(required=False, max_length=50)
    baseline = serializers.CharField(required=False, max_length=10)
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if bool(attrs.get("strategy_id")) == bool(attrs.get("baseline")):
            raise serializers.ValidationError({"strategy_id": "give strategy_id or baseline (a symbol), exactly one"})
        return attrs


class ComparisonInput(RangeInput):
    strategy_ids = serializers.CharField(max_length=200)
    baseline = serializers.BooleanField(default=True)

    def validate_strategy_ids(self, value: str) -> list[str]:
        ids = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if not ids:
            raise serializers.ValidationError("give 1 to 3 comma-separated strategy ids")
        if len(ids) > selectors.MAX_COMPARED_STRATEGIES:
            raise serializers.ValidationError(
                f"at most {selectors.MAX_COMPARED_STRATEGIES} strategies can be compared, got {len(ids)}"
            )
        return ids


def date_range(params: dict, latest: date | None) -> tuple[date | None, date | None]:
    """``(start, end)`` from ``start_date``/``end_date``, or ``days`` back from ``end_date``/the latest row."""
    start, end = params.get("start_date"), params.get("end_date")
    if params.get("days"):
        anchor = end or latest
        if anchor is None:
            return None, end
        start = anchor - timedelta(days=params["days"] - 1)
    return start, end


def entity_date_range(params: dict, entity_type: str, entity_id: str, mode: str) -> tuple[date | None, date | None]:
    """:func:`_range` for one entity: ``days`` without ``end_date`` count back from its latest row."""
    latest = None
    if params.get("days") and not params.get("end_date"):
        row = selectors.daily_performance_latest(entity_id, mode, entity_type=entity_type)
        latest = row.trading_date if row else None
    return date_range(params, latest)


def _entity(params: dict) -> tuple[str, str]:
    if params.get("baseline"):
        return EntityType.BASELINE, params["baseline"].strip().upper()
    return EntityType.STRATEGY, params["strategy_id"].strip()


# ── output ─────────────────────────────────────────────────────────────────────────────────────────


class DailyPerformanceOutput(serializers.ModelSerializer):
    class Meta:
        model = DailyPerformance
        exclude = ["id", "kpi_state"]


class EquityPointOutput(serializers.ModelSerializer):
    date = serializers.DateField(source="trading_date")
    equity = serializers.DecimalField(source="total_equity", max_digits=18, decimal_places=6)

    class Meta:
        model = DailyPerformance
        fields = ["date", "equity", "daily_return", "cumulative_return", "drawdown", "strategy_cell"]


class EODStatusOutput(serializers.ModelSerializer):
    class Meta:
        model = EODJobStatus
        exclude = ["id"]


def _csv_response(rows, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ── V2 ─────────────────────────────────────────────────────────────────────────────────────────────


class LatestInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Mode.values, default=DEFAULT_MODE)
    strategy_id = serializers.CharField(required=False, max_length=50)


class DailyPerformanceLatestApi(CsvCapableMixin, APIView):
    """Latest row of a strategy (with its baseline's), or of every active strategy when no id is given."""

    permission = "performance:read"

    def csv_rows(self, data):
        if "strategies" in data:
            return f"latest-{data['mode']}.csv", [item["latest"] for item in data["strategies"] if item["latest"]]
        rows = [row for row in (data["latest"], data["baseline"]) if row]
        return f"latest-{data['strategy_id']}-{data['mode']}.csv", rows

    @extend_schema(parameters=[LatestInput], responses={200: dict})
    def get(self, request):
        params = query_params_valid(LatestInput, request)
        mode = params["mode"]
        strategy_id = params.get("strategy_id")
        if not strategy_id:
            strategies = selectors.overview_strategies()
            ids = tuple(s.strategy_id for s in strategies)
            latest = cached_read(DAILY_PERFORMANCE_DATA, "api_latest", (ids, mode), lambda: _latest_data(ids, mode))
            return Response(
                {
                    "mode": mode,
                    "strategies": [
                        {
                            "strategy_id": s.strategy_id,
                            "display_name": s.display_name,
                            "latest": latest.get(s.strategy_id),
                        }
                        for s in strategies
                    ],
                }
            )
        latest, baseline = cached_read(
            DAILY_PERFORMANCE_DATA, "api_latest_pair", (strategy_id, mode), lambda: _latest_pair_data(strategy_id, mode)
        )
        if latest is None and not selectors.strategy_known(strategy_id):
            raise NotFound(f"strategy_id: unknown strategy {strategy_id!r}")
        return Response({"strategy_id": strategy_id, "mode": mode, "latest": latest, "baseline": baseline})


def _rows_data(rows: list[DailyPerformance | None]) -> list[dict | None]:
    """Rows as the API shows them (``None`` stays ``None``), through one serializer: its fields are built once."""
    present = iter(DailyPerformanceOutput([row for row in rows if row is not None], many=True).data)
    return [dict(next(present)) if row is not None else None for row in rows]


def _latest_data(strategy_ids: tuple[str, ...], mode: str) -> dict[str, dict]:
    """Serialised latest row of each strategy that has one, by id (cached per data version by the caller:
    serialising is most of the work once the rows are read)."""
    recent = selectors.daily_performance_recent(strategy_ids, mode)
    ids = list(recent)
    return dict(zip(ids, _rows_data([recent[i].latest for i in ids]), strict=True))


def _latest_pair_data(strategy_id: str, mode: str) -> tuple[dict | None, dict | None]:
    latest, baseline = _rows_data(list(selectors.daily_performance_latest_pair(strategy_id, mode)))
    return latest, baseline


class HistoryPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 5000


class DailyPerformanceHistoryApi(CsvCapableMixin, APIView):
    """Rows of one strategy (``strategy_id``) or baseline (``baseline=SYMBOL``), oldest first; paginated
    (``limit``/``offset``) or, with ``format=csv``, every row of the range as CSV (one line per day)."""

    permission = "performance:read"
    pagination_class = HistoryPagination

    @extend_schema(parameters=[EntityRangeInput], responses={200: DailyPerformanceOutput(many=True)})
    def get(self, request):
        params = query_params_valid(EntityRangeInput, request)
        entity_type, entity_id = _entity(params)
        mode = params["mode"]
        start, end = entity_date_range(params, entity_type, entity_id, mode)
        rows = selectors.daily_performance_history(entity_type, entity_id, mode, start, end)
        if params["format"] == "csv":
            values = rows.values_list(*CSV_FIELDS)
            if "limit" in request.query_params or "offset" in request.query_params:
                values = HistoryPagination().paginate_queryset(values, request, view=self)
            return _csv_response(values, f"{entity_type}-{entity_id}-{mode}.csv")
        return self._page(request, rows, (entity_type, entity_id, mode, start, end))

    def _page(self, request, rows, selection: tuple) -> Response:
        """The requested page, serialised once per data version (dashboards ask for the same pages again and
        again between two job writes); the envelope's links are built for each request."""
        paginator = self.pagination_class()
        limit, offset = paginator.get_limit(request), paginator.get_offset(request)

        def serialise() -> tuple[int, list]:
            page = paginator.paginate_queryset(rows, request, view=self)
            return paginator.count, DailyPerformanceOutput(page, many=True).data

        paginator.count, results = cached_read(
            DAILY_PERFORMANCE_DATA, "api_history_page", (*selection, limit, offset), serialise
        )
        paginator.limit, paginator.offset, paginator.request = limit, offset, request
        return paginator.get_paginated_response(results)


class DailyPerformanceComparisonApi(CsvCapableMixin, APIView):
    """Up to three strategies (``strategy_ids=a,b,c``) plus their baselines, as equity series for one chart."""

    permission = "performance:read"

    def csv_rows(self, data):
        rows = [
            {"entity_type": item["entity_type"], "entity_id": item["entity_id"], **point}
            for item in data["series"]
            for point in item["points"]
        ]
        return f"comparison-{data['mode']}.csv", rows

    @extend_schema(parameters=[ComparisonInput], responses={200: dict})
    def get(self, request):
        params = query_params_valid(ComparisonInput, request)
        start, end = date_range(params, None)  # ``days`` without ``end_date``: cut below, at the newest row of all
        series = selectors.daily_performance_comparison(
            params["strategy_ids"], params["mode"], start, end, include_baselines=params["baseline"]
        )
        if params.get("days") and not end:
            series = _last_days(series, params["days"])
        return Response(
            {
                "mode": params["mode"],
                "series": [
                    {
                        "entity_type": item.entity_type,
                        "entity_id": item.entity_id,
                        "points": EquityPointOutput(item.rows, many=True).data,
                    }
                    for item in series
                ],
            }
        )


def _last_days(series, days: int):
    """Cut every series to the ``days`` calendar days ending at the newest date among them."""
    newest = max((item.rows[-1].trading_date for item in series if item.rows), default=None)
    if newest is None:
        return series
    first = newest - timedelta(days=days - 1)
    return [
        selectors.ComparisonSeries(item.entity_type, item.entity_id, [r for r in item.rows if r.trading_date >= first])
        for item in series
    ]


class EODStatusInput(PageInput):
    days = serializers.IntegerField(required=False, min_value=1, max_value=3650, default=30)


class EODStatusListApi(CsvCapableMixin, APIView):
    """EOD finalisation status of the last ``days`` (default 30) dates that have one, newest first."""

    permission = "performance:read"

    csv_columns = tuple(EODStatusOutput().fields)
    pagination_class = HistoryPagination

    def csv_rows(self, data):
        return "eod-status.csv", list(data["results"])

    @extend_schema(parameters=[EODStatusInput], responses={200: EODStatusOutput(many=True)})
    def get(self, request):
        params = query_params_valid(EODStatusInput, request)
        return paginated_response(self, request, selectors.eod_status_recent(params["days"]), EODStatusOutput)


class EODStatusTodayApi(CsvCapableMixin, APIView):
    """Today's (New York) EOD status; ``status`` is null until the job has started."""

    permission = "performance:read"

    def csv_rows(self, data):
        return f"eod-status-{data['trading_date']}.csv", [dict(data)]

    @extend_schema(responses={200: dict})
    def get(self, request):
        today = calendar.market_date(timezone.now())
        found = selectors.eod_status_for(today)
        body = {"trading_date": today.isoformat(), "is_trading_day": calendar.is_trading_day(today)}
        if found is None:
            return Response({**body, "status": None, "early_close": calendar.is_early_close(today)})
        return Response({**body, **EODStatusOutput(found).data, "early_close": calendar.is_early_close(today)})
