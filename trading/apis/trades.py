"""Trades API: list (filters, pagination, ``format=csv``), detail, statistics, CSV export, manual execution.

Query conventions (``02_platform.md``): ``strategy_id``, ``mode``, ``symbol``, ``start_date``/``end_date``
(trading dates, inclusive), ``limit``/``offset``, ``format=csv``. Invalid parameters are a 400 naming them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import DateSpanInput, PageInput, query_params_valid, validated
from jutsu.errors import NotFound
from trading.models import LiveTrade, Side
from trading.modes import Mode
from trading.selectors import trade_get, trades_list, trades_stats

CSV_FIELDS = (
    "id",
    "trading_date",
    "timestamp",
    "strategy_id",
    "mode",
    "symbol",
    "action",
    "quantity",
    "target_price",
    "fill_price",
    "fill_value",
    "commission",
    "slippage_pct",
    "realized_pnl",
    "reason",
    "strategy_cell",
    "trend_state",
    "vol_state",
    "t_norm",
    "z_score",
    "broker_order_id",
    "reconciled",
)


class TradeFilterInput(DateSpanInput):
    strategy_id = serializers.CharField(required=False, max_length=50)
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)
    symbol = serializers.RegexField(r"^[A-Za-z][A-Za-z0-9.\-]{0,9}$", required=False, max_length=10)


class TradeListInput(PageInput, TradeFilterInput):
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")


class TradeOutput(serializers.ModelSerializer):
    class Meta:
        model = LiveTrade
        fields = [*CSV_FIELDS, "order_id"]


class TradeDetailOutput(TradeOutput):
    client_order_id = serializers.CharField(source="order.client_order_id", default=None)
    order_status = serializers.CharField(source="order.status", default=None)

    class Meta(TradeOutput.Meta):
        fields = [*TradeOutput.Meta.fields, "client_order_id", "order_status", "created_at"]


def _filtered(params: dict):
    return trades_list(
        strategy_id=params.get("strategy_id"),
        mode=params.get("mode"),
        symbol=params.get("symbol"),
        start=params.get("start_date"),
        end=params.get("end_date"),
    )


def _csv_lines(rows) -> Iterator[str]:
    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Line(), lineterminator="\n")
    yield writer.writerow(CSV_FIELDS)
    for row in rows.values_list(*CSV_FIELDS).iterator(chunk_size=2000):
        yield writer.writerow(["" if value is None else value for value in row])


def trades_csv_response(rows, filename: str) -> StreamingHttpResponse:
    """The trades of ``rows`` as a streamed CSV attachment (one query, rows read in chunks)."""
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _JsonOnly:
    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type  # ``format=csv`` is ours, not DRF's renderer switch


class TradeListApi(_JsonOnly, APIView):
    """Trades newest first, filtered and paginated (``format=csv``: the page as CSV)."""

    permission = "trades:read"
    pagination_class = LimitOffsetPagination

    @extend_schema(parameters=[TradeListInput], responses={200: TradeOutput(many=True)})
    def get(self, request):
        params = query_params_valid(TradeListInput, request)
        paginator = self.pagination_class()
        rows = _filtered(params)
        page = paginator.paginate_queryset(rows, request, view=self)
        if params["format"] == "csv":
            return trades_csv_response(rows.filter(pk__in=[t.pk for t in page]), "trades.csv")
        return paginator.get_paginated_response(TradeOutput(page, many=True).data)


class TradeExportApi(_JsonOnly, APIView):
    """Every trade matching the filters as one CSV file (streamed)."""

    permission = "trades:read"

    @extend_schema(parameters=[TradeFilterInput], responses={(200, "text/csv"): str})
    def get(self, request):
        params = query_params_valid(TradeFilterInput, request)
        name = "-".join(["trades", *(str(params[k]) for k in ("strategy_id", "mode", "symbol") if params.get(k))])
        return trades_csv_response(_filtered(params), f"{name}.csv")


class TradeDetailApi(APIView):
    permission = "trades:read"

    @extend_schema(responses={200: TradeDetailOutput})
    def get(self, request, trade_id: int):
        trade = trade_get(trade_id)
        if trade is None:
            raise NotFound(f"trade {trade_id} does not exist")
        return Response(TradeDetailOutput(trade).data)


class TradeStatsApi(APIView):
    """Counts, win rate, realised P&L, costs and volume of the filtered trades, overall and per strategy/mode."""

    permission = "trades:read"

    @extend_schema(parameters=[TradeFilterInput], responses={200: dict})
    def get(self, request):
        params = query_params_valid(TradeFilterInput, request)
        return Response({"filters": {k: str(v) for k, v in params.items()}, **trades_stats(_filtered(params))})


class TradeExecuteInput(serializers.Serializer):
    strategy_id = serializers.CharField(max_length=50)
    mode = serializers.ChoiceField(choices=Mode.choices)
    symbol = serializers.RegexField(r"^[A-Za-z][A-Za-z0-9.\-]{0,9}$", max_length=10)
    side = serializers.ChoiceField(choices=Side.values)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    confirm = serializers.CharField(required=False, allow_blank=True, max_length=10)


class TradeExecuteApi(APIView):
    """A manual trade (reason ``Manual``) through the mode's executor, priced now; ``online_live`` needs the
    typed ``YES`` and a second factor verified within five minutes."""

    permission = "trades:execute"

    @extend_schema(request=TradeExecuteInput, responses={201: TradeOutput(many=True)})
    def post(self, request):
        from trading.services.live_guard import live_switch_check
        from trading.services.manual import trade_manual

        params = validated(TradeExecuteInput, request.data)
        if params["mode"] == Mode.ONLINE_LIVE:
            live_switch_check(
                user=request.user, confirm=params.get("confirm"), request=request, action="a manual online_live trade"
            )
        trades = trade_manual(
            strategy_id=params["strategy_id"],
            mode=params["mode"],
            symbol=params["symbol"],
            side=params["side"],
            qty=params["quantity"],
        )
        return Response({"trades": TradeOutput(trades, many=True).data}, status=201)
