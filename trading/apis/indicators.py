"""Indicators API: the regime indicators each active strategy decided on, their history and what they mean.

Query conventions (``02_platform.md``): ``strategy_id``, ``mode``, ``days`` or ``start_date``/``end_date``,
``limit``/``offset``, ``format=csv``. Invalid parameters are a 400 naming them. Values come from the trading job's
regime rows (``trading.indicators``), never recomputed.
"""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import CsvCapableMixin, DateRangeInput, PageInput, dict_rows_csv, query_params_valid
from strategies.selectors import strategies_list, strategy_get
from trading.indicators import HISTORY_FIELDS, INDICATOR_DESCRIPTIONS, indicator_values, regime_thresholds
from trading.modes import Mode
from trading.runner.runner import strategy_mode
from trading.selectors import regime_states_history, regime_states_latest
from trading.services.engine import engine_state_get


class IndicatorsInput(serializers.Serializer):
    strategy_id = serializers.CharField(required=False, max_length=50)
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)


class IndicatorHistoryInput(PageInput, IndicatorsInput, DateRangeInput):
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")


class IndicatorsApi(CsvCapableMixin, APIView):
    """Each active strategy's (or ``strategy_id``'s) latest regime indicators — T_norm, SMA fast/slow, z-score,
    vol state, trend, bond trend, cell — in the mode it trades in (or ``mode``), with the thresholds it uses."""

    permission = "indicators:read"

    def csv_rows(self, data):
        rows = [s["indicators"] for s in data["strategies"] if s["indicators"]]
        return "indicators.csv", rows

    csv_columns = HISTORY_FIELDS

    @extend_schema(parameters=[IndicatorsInput], responses={200: dict})
    def get(self, request):
        params = query_params_valid(IndicatorsInput, request)
        engine_mode = engine_state_get().mode
        if params.get("strategy_id"):
            rows = [strategy_get(params["strategy_id"])]
        else:
            rows = list(strategies_list(active_only=True).order_by("execution_order", "strategy_id"))
        pairs = [(row.strategy_id, params.get("mode") or strategy_mode(row, engine_mode)) for row in rows]
        latest = regime_states_latest(pairs)
        strategies = []
        for row, pair in zip(rows, pairs, strict=True):
            state = latest.get(pair)
            strategies.append(
                {
                    "strategy_id": row.strategy_id,
                    "display_name": row.display_name,
                    "is_primary": row.is_primary,
                    "mode": pair[1],
                    "indicators": indicator_values(state) if state else None,
                    "thresholds": regime_thresholds(row),
                }
            )
        return Response({"engine_mode": engine_mode, "strategies": strategies})


class HistoryPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 5000


class IndicatorHistoryApi(CsvCapableMixin, APIView):
    """Regime indicator rows, oldest first, filtered by ``strategy_id``, ``mode`` and ``days`` (counted back from
    the newest matching row, or from ``end_date``) or ``start_date``/``end_date``; paginated, or with
    ``format=csv`` every row of the range as CSV (a page when ``limit``/``offset`` are given)."""

    permission = "indicators:read"

    @extend_schema(parameters=[IndicatorHistoryInput], responses={200: dict})
    def get(self, request):
        params = query_params_valid(IndicatorHistoryInput, request)
        if params.get("strategy_id"):
            strategy_get(params["strategy_id"])  # an unknown strategy is a 404, not an empty list
        filters = {"strategy_id": params.get("strategy_id"), "mode": params.get("mode")}
        start, end = params.get("start_date"), params.get("end_date")
        if params.get("days"):
            anchor = end or regime_states_history(**filters).values_list("trading_date", flat=True).last()
            start = anchor - timedelta(days=params["days"] - 1) if anchor else None
        rows = regime_states_history(**filters, start=start, end=end)
        paginate = params["format"] == "json" or "limit" in params or "offset" in params
        if paginate:
            paginator = HistoryPagination()
            page = paginator.paginate_queryset(rows, request, view=self)
            data = [indicator_values(row) for row in page]
            if params["format"] == "json":
                return paginator.get_paginated_response(data)
        else:
            data = [indicator_values(row) for row in rows.iterator(chunk_size=2000)]
        name = "-".join(["indicators", *(params[k] for k in ("strategy_id", "mode") if params.get(k))])
        return dict_rows_csv(data, f"{name}.csv", HISTORY_FIELDS)


class IndicatorDescriptionsApi(APIView):
    """What each indicator measures, its range and how the decision uses it; the cells and their base weights."""

    permission = "indicators:read"

    @extend_schema(responses={200: dict})
    def get(self, request):
        from trading.regime_tree import cell_table

        return Response({"indicators": list(INDICATOR_DESCRIPTIONS), "cells": cell_table()})
