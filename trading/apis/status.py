"""Status API: the platform's status, each active strategy's latest regime, and strategies' engine-level state."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import query_params_valid
from jutsu.errors import NotFound
from strategies.selectors import strategies_list, strategy_get
from trading.modes import Mode
from trading.services.engine import engine_state_get
from trading.state import platform_status, strategy_states


class StatusApi(APIView):
    """Engine, scheduler next runs, data freshness, last trading run, Schwab token state."""

    permission = "status:read"

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(platform_status(now=timezone.now()))


class StateModeInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)


class RegimeStatusApi(APIView):
    """Each active strategy's latest regime state (with its post-close validation) in the mode it trades in."""

    permission = "regime:read"

    @extend_schema(parameters=[StateModeInput], responses={200: dict})
    def get(self, request):
        params = query_params_valid(StateModeInput, request)
        engine_mode = engine_state_get().mode
        rows = list(strategies_list(active_only=True))
        states = strategy_states(rows, engine_mode=engine_mode, mode=params.get("mode"))
        return Response(
            {
                "engine_mode": engine_mode,
                "strategies": [
                    {k: s[k] for k in ("strategy_id", "display_name", "is_primary", "mode", "regime")} for s in states
                ],
            }
        )


class StrategiesStatusApi(APIView):
    """Every active strategy's engine-level state (account, positions, latest regime, last run result)."""

    permission = "dashboard:read"

    @extend_schema(parameters=[StateModeInput], responses={200: dict})
    def get(self, request):
        params = query_params_valid(StateModeInput, request)
        engine_mode = engine_state_get().mode
        rows = list(strategies_list(active_only=True))
        return Response(
            {"engine_mode": engine_mode, "strategies": strategy_states(rows, engine_mode=engine_mode, **params)}
        )


class StrategyStateApi(APIView):
    """One strategy's engine-level state (``primary``: the primary strategy's)."""

    permission = "dashboard:read"
    primary = False

    @extend_schema(parameters=[StateModeInput], responses={200: dict})
    def get(self, request, strategy_id: str = ""):
        params = query_params_valid(StateModeInput, request)
        if self.primary:
            row = strategies_list(active_only=True).filter(is_primary=True).first()
            if row is None:
                raise NotFound("no active primary strategy (see config/strategies_registry.yaml)")
        else:
            row = strategy_get(strategy_id)
        engine_mode = engine_state_get().mode
        (state,) = strategy_states([row], engine_mode=engine_mode, **params)
        return Response({"engine_mode": engine_mode, **state})
