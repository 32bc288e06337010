"""Platform API: effective configuration with its source, overrides, and the job scheduler."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import paginated_response, validated
from jutsu.conf.resolver import resolve, resolve_all
from jutsu.models import ConfigOverride, JobRun, JobTrigger
from jutsu.scheduler.registry import get_job
from jutsu.scheduler.schedules import schedule_overview, schedule_set_enabled
from jutsu.selectors import config_overrides_in_force, job_last_runs, job_runs
from jutsu.services.config_overrides import config_override_reset, config_override_set


class OverrideOutput(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = ConfigOverride
        fields = [
            "id",
            "parameter",
            "strategy_id",
            "value",
            "value_type",
            "reason",
            "created_by",
            "created_at",
            "expires_at",
            "is_active",
        ]


class OverrideInput(serializers.Serializer):
    parameter = serializers.CharField(max_length=100)
    value = serializers.CharField(max_length=500, allow_blank=False)
    reason = serializers.CharField(max_length=1000)
    strategy_id = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ConfigApi(APIView):
    """GET: every runtime parameter with its effective value and source. PUT: create overrides."""

    permissions = {"GET": "config:read", "PUT": "config:write"}

    @extend_schema(responses={200: dict})
    def get(self, request):
        strategy_id = request.query_params.get("strategy_id", "")
        return Response(
            {
                "parameters": [e.as_dict() for e in resolve_all(strategy_id=strategy_id)],
                "overrides": OverrideOutput(config_overrides_in_force(), many=True).data,
            }
        )

    @extend_schema(request=OverrideInput(many=True), responses={200: dict})
    def put(self, request):
        items = request.data if isinstance(request.data, list) else [request.data]
        serializer = OverrideInput(data=items, many=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():  # all or nothing
            created = [
                config_override_set(user=request.user, request=request, **item) for item in serializer.validated_data
            ]
        return Response(
            {
                "overrides": OverrideOutput(created, many=True).data,
                "effective": [resolve(o.parameter, strategy_id=o.strategy_id).as_dict() for o in created],
            }
        )


class ConfigResetApi(APIView):
    """Deactivate the override of one parameter (it falls back to YAML or its default)."""

    permission = "config:write"

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, parameter: str):
        strategy_id = request.data.get("strategy_id", "") if isinstance(request.data, dict) else ""
        resolve(parameter)  # unknown parameter → 400 naming it
        count = config_override_reset(parameter=parameter, strategy_id=strategy_id, user=request.user, request=request)
        return Response({"deactivated": count, "effective": resolve(parameter, strategy_id=strategy_id).as_dict()})


class JobRunOutput(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = JobRun
        fields = [
            "id",
            "job_name",
            "run_number",
            "status",
            "trigger",
            "as_of",
            "trading_date",
            "started_at",
            "finished_at",
            "duration_seconds",
            "message",
            "error",
        ]


class SchedulerUpdateInput(serializers.Serializer):
    enabled = serializers.DictField(child=serializers.BooleanField(), required=False, help_text="job name → enabled")
    execution_time = serializers.CharField(required=False, max_length=40, help_text="trading.execution_time")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if not attrs.get("enabled") and "execution_time" not in attrs:
            raise serializers.ValidationError("give enabled (job → true/false) and/or execution_time")
        if "execution_time" in attrs and not (attrs.get("reason") or "").strip():
            raise serializers.ValidationError({"reason": "say why the execution time changes (kept in its history)"})
        return attrs


class SchedulerApi(APIView):
    """GET: every job — schedule, enabled flag, next run (New York time), last run, and the trading time with its
    source. PUT (admin): enable/disable jobs and change the trading time (an override, with history; the
    ``daily_trading`` schedule follows at once and reverts when the override expires)."""

    permissions = {"GET": "status:read", "PUT": "scheduler:control"}

    @extend_schema(responses={200: dict})
    def get(self, request):
        last = job_last_runs()
        jobs = []
        for row in schedule_overview():
            run = last.get(row["job"])
            jobs.append({**row, "last_run": JobRunOutput(run).data if run else None})
        execution_time = resolve("trading.execution_time").as_dict()
        return Response({"timezone": "America/New_York", "execution_time": execution_time, "jobs": jobs})

    @extend_schema(request=SchedulerUpdateInput, responses={200: dict})
    def put(self, request):
        params = validated(SchedulerUpdateInput, request.data)
        for name in params.get("enabled") or {}:
            get_job(name)  # unknown job → 404 naming the known ones, before anything changes
        with transaction.atomic():
            for name, enabled in (params.get("enabled") or {}).items():
                schedule_set_enabled(name, enabled=enabled)
            if "execution_time" in params:
                config_override_set(
                    parameter="trading.execution_time",
                    value=params["execution_time"],
                    reason=params["reason"],
                    expires_at=params["expires_at"],
                    user=request.user,
                    request=request,
                )
        return self.get(request)


class JobNameInput(serializers.Serializer):
    job = serializers.CharField(max_length=80)


class SchedulerToggleApi(APIView):
    """Enable or disable a job's beat schedule (beat picks the change up at once)."""

    permission = "scheduler:control"
    enabled = True

    @extend_schema(request=JobNameInput, responses={200: dict})
    def post(self, request):
        serializer = JobNameInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        job_name = serializer.validated_data["job"]
        schedule_set_enabled(job_name, enabled=self.enabled)
        return Response({"job": job_name, "enabled": self.enabled})


class SchedulerTriggerApi(APIView):
    """Queue one run of a job now (the worker runs it under the usual lock and calendar rules)."""

    permission = "scheduler:control"

    @extend_schema(request=JobNameInput, responses={202: dict})
    def post(self, request):
        from jutsu.scheduler.schedules import job_trigger

        serializer = JobNameInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        spec = job_trigger(serializer.validated_data["job"], trigger=JobTrigger.API)
        return Response({"job": spec.name, "queued": True}, status=202)


class JobRunsApi(APIView):
    """Recent runs, newest first (``?job=``, ``limit``/``offset``)."""

    permission = "status:read"
    pagination_class = LimitOffsetPagination

    @extend_schema(responses={200: JobRunOutput(many=True)})
    def get(self, request):
        return paginated_response(self, request, job_runs(job_name=request.query_params.get("job")), JobRunOutput)
