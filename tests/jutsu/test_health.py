"""Liveness and readiness endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jutsu.models import ServiceHeartbeat
from jutsu.scheduler.heartbeat import heartbeat_beat

pytestmark = pytest.mark.django_db


def test_health_answers_without_authentication(anon_api):
    response = anon_api.get("/api/status/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_ready_is_503_naming_the_missing_heartbeats(anon_api, settings, tmp_path):
    settings.JUTSU_BROKER_DIR = tmp_path
    (tmp_path / "queue").mkdir()
    response = anon_api.get("/api/status/ready")
    assert response.status_code == 503
    body = response.json()
    assert "worker" in body["detail"] and "beat" in body["detail"]
    assert body["checks"]["database"]["ok"] is True


def test_ready_is_200_with_fresh_heartbeats(anon_api, settings, tmp_path):
    settings.JUTSU_BROKER_DIR = tmp_path
    (tmp_path / "queue").mkdir()
    heartbeat_beat("worker")
    heartbeat_beat("beat")
    response = anon_api.get("/api/status/ready")
    assert response.status_code == 200, response.json()
    expected_mode = "embedded" if settings.JUTSU.embedded_jobs else "redis"
    assert response.json()["checks"]["broker"]["mode"] == expected_mode


def test_stale_heartbeat_makes_ready_fail(anon_api, settings, tmp_path):
    settings.JUTSU_BROKER_DIR = tmp_path
    (tmp_path / "queue").mkdir()
    heartbeat_beat("worker")
    heartbeat_beat("beat")
    ServiceHeartbeat.objects.filter(service="beat").update(last_seen_at=timezone.now() - timedelta(hours=1))
    response = anon_api.get("/api/status/ready")
    assert response.status_code == 503
    assert response.json()["detail"] == "not ready: beat"
