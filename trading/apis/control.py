"""Engine control API: start / stop / restart / state / mode, flatten, data staleness and a manual data refresh.

Thin views over ``trading.services.engine`` (the same services as ``manage.py engine`` and the admin) and
``trading.services.flatten``. Switching to ``online_live`` goes through the live-switch guard
(``trading.services.live_guard``): admin, the typed confirmation ``YES`` and a second factor verified within the
last five minutes.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import validated
from jutsu.models import JobTrigger
from trading.modes import Mode
from trading.services.engine import engine_restart, engine_set_mode, engine_start, engine_status, engine_stop
from trading.services.live_guard import live_switch_check


class StartInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)
    confirm = serializers.CharField(required=False, allow_blank=True, max_length=10)


class ModeInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=Mode.choices)
    confirm = serializers.CharField(required=False, allow_blank=True, max_length=10)


def _guarded(request, mode: str | None, confirm: str | None) -> None:
    """The live-switch guard when the request would (re)start or switch the engine into ``online_live``."""
    target = mode or engine_status()["mode"]
    if target == Mode.ONLINE_LIVE:
        live_switch_check(user=request.user, confirm=confirm, request=request)


class EngineStateApi(APIView):
    """The engine: state, mode, started/last/next execution, last error, run count, uptime."""

    permission = "status:read"

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(engine_status())


class EngineStartApi(APIView):
    permission = "engine:control"
    restart = False

    @extend_schema(request=StartInput, responses={200: dict})
    def post(self, request):
        params = validated(StartInput, request.data)
        mode, confirm = params.get("mode"), params.get("confirm")
        _guarded(request, mode, confirm)
        action = engine_restart if self.restart else engine_start
        action(mode=mode, user=request.user, confirm=confirm, request=request, actor="api")
        return Response(engine_status())


class EngineStopApi(APIView):
    """Stop the engine — the kill switch: the trading job skips and a run in progress sends no further order."""

    permission = "engine:control"

    @extend_schema(request=None, responses={200: dict})
    def post(self, request):
        engine_stop(user=request.user, actor="api")
        return Response(engine_status())


class EngineModeApi(APIView):
    """Change the mode without starting or stopping (``online_live``: the live-switch guard)."""

    permission = "engine:control"

    @extend_schema(request=ModeInput, responses={200: dict})
    def post(self, request):
        params = validated(ModeInput, request.data)
        _guarded(request, params["mode"], params.get("confirm"))
        engine_set_mode(params["mode"], user=request.user, confirm=params.get("confirm"), request=request, actor="api")
        return Response(engine_status())


class FlattenInput(serializers.Serializer):
    strategy_id = serializers.CharField(max_length=50)
    mode = serializers.ChoiceField(choices=Mode.choices)
    confirm = serializers.CharField(allow_blank=True, max_length=10)


class FlattenApi(APIView):
    """Emergency exit: sell every position of a strategy in a mode to cash (typed ``YES``), as ``Manual`` trades."""

    permission = "engine:control"

    @extend_schema(request=FlattenInput, responses={200: dict})
    def post(self, request):
        from trading.services.flatten import flatten

        params = validated(FlattenInput, request.data)
        result = flatten(
            strategy_id=params["strategy_id"], mode=params["mode"], confirm=params["confirm"], user=request.user
        )
        return Response(
            {
                "strategy_id": result.strategy_id,
                "mode": result.mode,
                "sold": result.sold,
                "trades": [t.pk for t in result.report.trades],
                "stopped": result.report.stopped,
                "errors": result.report.errors,
                "message": result.line(),
            }
        )


class DataStalenessApi(APIView):
    """How far each symbol in use lags behind the last completed session (stale: beyond the allowed days)."""

    permission = "status:read"

    @extend_schema(responses={200: dict})
    def get(self, request):
        from trading.selectors import market_data_staleness

        return Response(market_data_staleness(now=timezone.now()))


class DataRefreshApi(APIView):
    """Queue the market-data sync, then the equity refresh for the moment (hourly in the session, else close)."""

    permission = "scheduler:control"

    @extend_schema(request=None, responses={202: dict})
    def post(self, request):
        from celery import chain

        from jutsu.scheduler import calendar
        from jutsu.scheduler.registry import get_job
        from jutsu.tasks import run_job_task

        now = timezone.now()
        session = calendar.session(calendar.market_date(now))
        refresh = "hourly_refresh" if session and session.open <= now < session.close else "market_close_refresh"
        steps = [
            run_job_task.si(name, trigger=JobTrigger.API).set(queue=get_job(name).queue)
            for name in ("market_data_sync", refresh)
        ]
        transaction.on_commit(lambda: chain(*steps).apply_async())
        return Response({"queued": ["market_data_sync", refresh]}, status=202)
