"""The daily_trading schedule follows the trading time's overrides — at once, and back at their expiry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from jutsu.models import ConfigOverride
from jutsu.scheduler.schedules import schedules_sync
from jutsu.services.config_overrides import config_override_deactivate, config_override_set
from jutsu.tasks import config_overrides_expire_task

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
REGULAR = [("9", "45")]  # the default trading time, 15 minutes after the open
AT_CLOSE = [("13", "0"), ("16", "0")]  # close: the half-day entry and the regular one


@pytest.fixture
def timed_job(monkeypatch):
    """The trading job, whose beat rows follow ``trading.execution_time``."""
    monkeypatch.delenv("EXECUTION_TIME", raising=False)
    return "daily_trading"


def _crontab(job_name: str) -> list[tuple[str, str]]:
    from django_celery_beat.models import PeriodicTask

    rows = PeriodicTask.objects.select_related("crontab").filter(name__startswith=f"job:{job_name}")
    return sorted((t.crontab.hour, t.crontab.minute) for t in rows if t.name.split("#")[0] == f"job:{job_name}")


def _queued_expiry_etas() -> list[str]:
    """ETAs of the expiry tasks waiting in the embedded broker's queue folder (removed once read)."""
    queue = settings.JUTSU_BROKER_DIR / "queue"
    etas = []
    for path in sorted(queue.glob("*.msg")) if queue.is_dir() else []:
        message = json.loads(path.read_text())
        if message["headers"]["task"] == "jutsu.tasks.config_overrides_expire_task":
            etas.append(message["headers"]["eta"])
            path.unlink()
    return etas


def test_an_override_moves_the_schedule_at_once_and_its_expiry_moves_it_back(
    timed_job, admin_user, django_capture_on_commit_callbacks
):
    if not settings.JUTSU.embedded_jobs:
        pytest.skip("reads the queued expiry task from the embedded file broker")
    _queued_expiry_etas()
    schedules_sync()
    assert _crontab(timed_job) == REGULAR  # the default, 15 minutes after the open
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            override = config_override_set(
                parameter="trading.execution_time",
                value="close",
                reason="close fills this week",
                user=admin_user,
                expires_at=T0 + timedelta(hours=2),
            )
        assert _crontab(timed_job) == AT_CLOSE
        (eta,) = _queued_expiry_etas()
        assert datetime.fromisoformat(eta) == T0 + timedelta(hours=2)  # the expiry task is due at the expiry
    after = T0 + timedelta(hours=2, seconds=1)
    with time_machine.travel(after, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert config_overrides_expire_task.apply().get() == 1  # what the worker runs at the ETA
    assert _crontab(timed_job) == REGULAR
    override.refresh_from_db()
    assert (override.is_active, override.deactivation_reason) == (False, "expired")
    history = [(h.history_type, h.is_active) for h in override.history.order_by("history_date")]
    assert history == [("+", True), ("~", False)]  # the override's history is the schedule's history


def test_deactivating_an_override_moves_the_schedule_back_at_once(
    timed_job, admin_user, django_capture_on_commit_callbacks
):
    schedules_sync()
    with django_capture_on_commit_callbacks(execute=True):
        override = config_override_set(
            parameter="trading.execution_time", value="open", reason="try the open", user=admin_user
        )
    assert _crontab(timed_job) == [("9", "30")]
    with django_capture_on_commit_callbacks(execute=True):
        config_override_deactivate(override_id=override.pk, user=admin_user)
    assert _crontab(timed_job) == REGULAR


def test_beat_expires_overdue_overrides_when_the_expiry_task_was_lost(
    timed_job, admin_user, django_capture_on_commit_callbacks
):
    from jutsu.beat import HeartbeatDatabaseScheduler

    schedules_sync()
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=False):  # the queued expiry task never runs
            config_override_set(
                parameter="trading.execution_time",
                value="close",
                reason="one hour",
                user=admin_user,
                expires_at=T0 + timedelta(hours=1),
            )
        schedules_sync()
        assert _crontab(timed_job) == AT_CLOSE
    with time_machine.travel(T0 + timedelta(hours=1, minutes=1), tick=False):
        scheduler = HeartbeatDatabaseScheduler.__new__(HeartbeatDatabaseScheduler)  # only its safety net
        with django_capture_on_commit_callbacks(execute=True):
            scheduler._expire_overrides()
    assert ConfigOverride.objects.get().is_active is False
    assert _crontab(timed_job) == REGULAR
