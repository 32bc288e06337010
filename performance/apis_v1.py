"""Deprecated V1 performance endpoints: thin views over the daily performance table (TD-4).

Every response, errors included, carries ``Deprecation``, ``Sunset`` and ``Link: rel="successor-version"``.
With ``USE_DAILY_PERFORMANCE`` off they read each day's last snapshot instead (the legacy path).
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import query_params_valid
from performance import selectors
from performance.apis import CsvCapableMixin, RangeInput, date_range, entity_date_range
from performance.models import EntityType

SUNSET = "Wed, 30 Jun 2027 00:00:00 GMT"
SUCCESSOR = '</api/v2/daily-performance>; rel="successor-version"'


class V1Input(RangeInput):
    strategy_id = serializers.CharField(max_length=50)


class DeprecatedV1Mixin(CsvCapableMixin):
    """RFC 8594/9745 headers on every V1 response, errors included; the successor is V2."""

    permission = "performance:read"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Deprecation"] = "true"
        response["Sunset"] = SUNSET
        response["Link"] = SUCCESSOR
        return response

    def rows(self, request) -> tuple[dict, list]:
        """The strategy's daily rows (``USE_DAILY_PERFORMANCE``) or its end-of-day snapshots (flag off)."""
        params = query_params_valid(V1Input, request)
        strategy_id, mode = params["strategy_id"], params["mode"]
        if settings.USE_DAILY_PERFORMANCE:
            start, end = entity_date_range(params, EntityType.STRATEGY, strategy_id, mode)
            return params, list(selectors.daily_performance_history(EntityType.STRATEGY, strategy_id, mode, start, end))
        start, end = date_range(params, None)
        return params, selectors.snapshot_daily_rows(strategy_id, mode, start, end)

    # Each view names its CSV file and the payload key that holds its table, and builds the payload.
    csv_name = ""
    csv_key = ""

    def payload(self, params: dict, rows: list) -> dict:
        raise NotImplementedError

    def csv_rows(self, data):
        return f"{self.csv_name}-{data['strategy_id']}.csv", data[self.csv_key]

    @extend_schema(deprecated=True, parameters=[V1Input], responses={200: dict})
    def get(self, request):
        params, rows = self.rows(request)
        return Response({"strategy_id": params["strategy_id"], "mode": params["mode"], **self.payload(params, rows)})


class PerformanceV1Api(DeprecatedV1Mixin, APIView):
    """Deprecated: the strategy's latest KPIs (use ``GET /api/v2/daily-performance``)."""

    csv_name = "performance"

    def csv_rows(self, data):
        head = {k: data[k] for k in ("strategy_id", "mode", "as_of", "current_equity")}
        return f"{self.csv_name}-{data['strategy_id']}.csv", [{**head, **data["metrics"]}]

    def payload(self, params: dict, rows: list) -> dict:
        last = rows[-1] if rows else None
        return {
            "as_of": last.trading_date.isoformat() if last else None,
            "current_equity": str(last.total_equity) if last else None,
            "metrics": selectors.v1_metrics(rows),
        }


class EquityCurveV1Api(DeprecatedV1Mixin, APIView):
    """Deprecated: equity per day (use ``/api/v2/daily-performance/history``)."""

    csv_name, csv_key = "equity-curve", "equity_curve"

    def payload(self, params: dict, rows: list) -> dict:
        return {"equity_curve": [{"date": r.trading_date.isoformat(), "equity": str(r.total_equity)} for r in rows]}


class DrawdownV1Api(DeprecatedV1Mixin, APIView):
    """Deprecated: drawdown per day (use ``/api/v2/daily-performance/history``)."""

    csv_name, csv_key = "drawdown", "drawdown"

    def payload(self, params: dict, rows: list) -> dict:
        return {
            "max_drawdown": min((r.drawdown for r in rows), default=None),
            "drawdown": [{"date": r.trading_date.isoformat(), "drawdown": r.drawdown} for r in rows],
        }


class RegimeBreakdownV1Api(DeprecatedV1Mixin, APIView):
    """Deprecated: returns per regime cell (days, strategy and baseline compounded returns)."""

    csv_name, csv_key = "regime-breakdown", "cells"

    def payload(self, params: dict, rows: list) -> dict:
        return {"cells": selectors.regime_breakdown(rows, params["mode"])}
