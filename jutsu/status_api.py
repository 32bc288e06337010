"""Liveness and readiness endpoints (no authentication; nothing sensitive in the bodies)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.conf.resolver import resolve_value
from jutsu.scheduler.heartbeat import heartbeat_status

logger = logging.getLogger(__name__)

Check = Callable[[], dict[str, Any]]
# Informational checks other apps add (e.g. market-data freshness); they never make /ready fail.
_extra_checks: dict[str, Check] = {}


def register_status_check(name: str, check: Check) -> None:
    """Add an informational check to the readiness report."""
    _extra_checks[name] = check


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        logger.warning("readiness: database check failed: %s", exc)
        return {"ok": False, "vendor": connection.vendor, "error": "database unreachable"}


def _check_broker() -> dict[str, Any]:
    if settings.JUTSU.embedded_jobs:
        folder = settings.JUTSU_BROKER_DIR / "queue"
        return {
            "ok": folder.is_dir(),
            "mode": "embedded",
            **({} if folder.is_dir() else {"error": "queue folder missing"}),
        }
    try:
        import redis

        client = redis.Redis.from_url(settings.JUTSU.redis_url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return {"ok": True, "mode": "redis"}
    except Exception as exc:
        logger.warning("readiness: broker check failed: %s", type(exc).__name__)
        return {"ok": False, "mode": "redis", "error": "broker unreachable"}


def readiness() -> tuple[bool, dict[str, Any]]:
    """All checks; ready when the database, the broker and fresh worker and beat heartbeats are ok."""
    checks: dict[str, Any] = {"database": _check_database(), "broker": _check_broker()}
    if checks["database"]["ok"]:
        stale = resolve_value("jobs.heartbeat_stale_seconds")
        for service in ("worker", "beat"):
            checks[service] = heartbeat_status(service, stale_after_seconds=stale).as_dict()
    else:
        checks["worker"] = checks["beat"] = {"ok": False, "error": "unknown (database unreachable)"}
    required = ("database", "broker", "worker", "beat")
    ready = all(checks[name]["ok"] for name in required)
    for name, check in _extra_checks.items():
        try:
            checks[name] = check()
        except Exception:
            logger.exception("readiness: check %s failed", name)
            checks[name] = {"ok": False, "error": "check failed"}
    return ready, checks


class HealthApi(APIView):
    """Liveness: the process answers."""

    permission = "public"
    authentication_classes: list = []

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response({"status": "ok", "time": timezone.now().isoformat(), "environment": settings.JUTSU.environment})


class ReadyApi(APIView):
    """Readiness: database, broker (or embedded mode), worker and beat heartbeats."""

    permission = "public"
    authentication_classes: list = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        ready, checks = readiness()
        if ready:
            return Response({"status": "ready", "checks": checks})
        failing = [name for name in ("database", "broker", "worker", "beat") if not checks[name]["ok"]]
        return Response(
            {"detail": f"not ready: {', '.join(failing)}", "status": "not_ready", "checks": checks}, status=503
        )
