"""The job framework: calendar checks, as-of replays, the lock, JobRun records, beat schedules."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jutsu.models import JobLock, JobRun
from jutsu.scheduler import calendar
from jutsu.scheduler.locks import lock_acquire, lock_release
from jutsu.scheduler.registry import _JOBS, job
from jutsu.scheduler.runner import JobResult, job_run, parse_as_of
from jutsu.scheduler.schedules import schedules_sync

pytestmark = pytest.mark.django_db

SEEN: list = []


@pytest.fixture
def probe_job():
    """A registered test job that records the context it saw."""
    SEEN.clear()

    @job("test_probe", description="records its context", schedule=[{"minute": "15", "hour": "16"}])
    def probe(ctx):
        SEEN.append((ctx.today, ctx.as_of, ctx.run.run_number))
        return JobResult(message=f"ran for {ctx.today}")

    yield "test_probe"
    _JOBS.pop("test_probe", None)


@pytest.fixture
def failing_job():
    @job("test_failing", description="always fails", trading_days_only=False)
    def failing(ctx):
        raise ValueError("broker said no")

    yield "test_failing"
    _JOBS.pop("test_failing", None)


# --- calendar ------------------------------------------------------------------------------------------


def test_nyse_calendar_knows_holidays_and_half_days():
    assert calendar.is_trading_day(date(2020, 7, 2))
    assert not calendar.is_trading_day(date(2020, 7, 3))  # Independence Day observed
    assert not calendar.is_trading_day(date(2020, 7, 4))  # Saturday
    assert calendar.is_early_close(date(2019, 11, 29)) and calendar.is_early_close(date(2019, 12, 24))
    assert not calendar.is_early_close(date(2019, 12, 23))
    assert calendar.session(date(2019, 11, 29)).close.hour == 13


def test_previous_and_next_trading_days_skip_closures():
    assert calendar.previous_trading_day(date(2020, 7, 6)) == date(2020, 7, 2)
    assert calendar.next_trading_day(date(2020, 7, 2)) == date(2020, 7, 6)
    assert calendar.previous_trading_days(date(2020, 7, 6), 3) == [
        date(2020, 6, 30),
        date(2020, 7, 1),
        date(2020, 7, 2),
    ]
    assert len(calendar.trading_days(date(2019, 1, 1), date(2019, 12, 31))) == 252


def test_last_closed_session_knows_half_days_and_settling_time():
    ny = calendar.NEW_YORK
    assert calendar.last_closed_session(datetime(2019, 11, 29, 13, 1, tzinfo=ny)) == date(2019, 11, 29)
    assert calendar.last_closed_session(datetime(2019, 11, 29, 12, 59, tzinfo=ny)) == date(2019, 11, 27)
    assert calendar.last_closed_session(datetime(2019, 12, 2, 16, 3, tzinfo=ny), settle_minutes=5) == date(2019, 11, 29)
    assert calendar.last_closed_session(datetime(2019, 12, 2, 16, 5, tzinfo=ny), settle_minutes=5) == date(2019, 12, 2)


# --- runs ----------------------------------------------------------------------------------------------


def test_as_of_replays_a_past_moment(probe_job):
    as_of = parse_as_of("2020-07-02T16:15:00-04:00")
    run = job_run(probe_job, as_of=as_of)
    assert run.status == "success" and run.message == "ran for 2020-07-02"
    assert [(date(2020, 7, 2), as_of, 1)] == SEEN
    assert run.trading_date == date(2020, 7, 2) and run.as_of == as_of


def test_naive_as_of_is_new_york_time():
    assert parse_as_of("2020-07-02T16:15") == datetime(2020, 7, 2, 20, 15, tzinfo=UTC)
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_as_of("yesterday")


def test_non_trading_day_is_recorded_as_skipped(probe_job):
    run = job_run(probe_job, as_of=parse_as_of("2020-07-04T16:15:00-04:00"))
    assert run.status == "skipped"
    assert "2020-07-04 is not an NYSE trading day" in run.message
    assert SEEN == []


def test_failure_is_recorded_with_its_error_and_the_lock_is_released(failing_job):
    run = job_run(failing_job)
    assert run.status == "failed" and "broker said no" in run.error
    assert run.finished_at is not None
    assert not JobLock.objects.filter(name=failing_job).exists()


def test_run_numbers_count_up_per_job(probe_job):
    as_of = parse_as_of("2020-07-02T16:15")
    numbers = [job_run(probe_job, as_of=as_of).run_number for _ in range(3)]
    assert numbers == [1, 2, 3]


def test_a_held_lock_makes_an_overlapping_trigger_skip(probe_job):
    assert lock_acquire(probe_job, "other-worker", timeout_seconds=600)
    run = job_run(probe_job, as_of=parse_as_of("2020-07-02T16:15"))
    assert run.status == "skipped" and "another run is in progress (other-worker)" in run.message
    assert SEEN == []
    lock_release(probe_job, "other-worker")
    assert job_run(probe_job, as_of=parse_as_of("2020-07-02T16:15")).status == "success"


def test_an_abandoned_lock_is_taken_over(probe_job):
    assert lock_acquire(probe_job, "dead-worker", timeout_seconds=600)
    JobLock.objects.filter(name=probe_job).update(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    assert lock_acquire(probe_job, "new-worker", timeout_seconds=600)
    assert JobLock.objects.get(name=probe_job).owner == "new-worker"


def test_a_lock_held_by_a_killed_process_on_this_host_is_taken_over(probe_job):
    import subprocess
    import sys

    from jutsu.scheduler.locks import new_owner

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = new_owner().split(":")[0]
    dead = f"{host}:{child.pid}:deadbeef"
    assert lock_acquire(probe_job, dead, timeout_seconds=3600)
    run = job_run(probe_job, as_of=parse_as_of("2020-07-02T16:15"))
    assert run.status == "success" and SEEN


def test_a_lock_held_by_a_live_process_is_respected(probe_job):
    import os

    from jutsu.scheduler.locks import new_owner

    alive = f"{new_owner().split(':')[0]}:{os.getpid()}:cafe"
    assert lock_acquire(probe_job, alive, timeout_seconds=3600)
    assert job_run(probe_job, as_of=parse_as_of("2020-07-02T16:15")).status == "skipped"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_execute_the_job_once():
    started, release = threading.Event(), threading.Event()

    @job("test_slow", description="waits", trading_days_only=False)
    def slow(ctx):
        started.set()
        release.wait(10)

    try:
        results = {}

        def first_run():
            try:
                results["first"] = job_run("test_slow")
            finally:
                connection.close()  # this thread's own connection, or PostgreSQL keeps the test database busy

        first = threading.Thread(target=first_run)
        first.start()
        assert started.wait(10)
        second = job_run("test_slow")
        release.set()
        first.join(10)
        assert second.status == "skipped"
        assert results["first"].status == "success"
        assert JobRun.objects.filter(job_name="test_slow").count() == 2
    finally:
        _JOBS.pop("test_slow", None)


# --- command -----------------------------------------------------------------------------------------


def test_run_job_command_reports_skips_and_fails_loudly(probe_job, failing_job, capsys):
    call_command("run_job", probe_job, "--as-of", "2020-07-04T16:15:00-04:00")
    assert "skipped" in capsys.readouterr().out
    with pytest.raises(CommandError, match="broker said no"):
        call_command("run_job", failing_job)
    with pytest.raises(CommandError, match="unknown job 'nope'"):
        call_command("run_job", "nope")
    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("run_job", probe_job, "--as-of", "soon")


# --- beat schedules -------------------------------------------------------------------------------------


def test_schedules_are_stored_for_beat_in_new_york_time(probe_job):
    from django_celery_beat.models import PeriodicTask

    counts = schedules_sync()
    task = PeriodicTask.objects.get(name="job:test_probe")
    assert task.crontab.hour == "16" and task.crontab.minute == "15"
    assert str(task.crontab.timezone) == "America/New_York"
    assert task.args == '["test_probe"]' and task.expire_seconds == 300
    assert counts["created"] >= 1
    assert schedules_sync() == {"created": 0, "updated": 0, "deleted": 0}


def test_a_disabled_schedule_stays_disabled_after_sync_and_stale_rows_go(probe_job):
    from django_celery_beat.models import PeriodicTask

    schedules_sync()
    PeriodicTask.objects.filter(name="job:test_probe").update(enabled=False)
    schedules_sync()
    assert PeriodicTask.objects.get(name="job:test_probe").enabled is False
    _JOBS.pop("test_probe")
    assert schedules_sync()["deleted"] == 1


def test_scheduler_api_lists_jobs_with_next_run(viewer_api, probe_job):
    schedules_sync()
    job_run(probe_job, as_of=parse_as_of("2020-07-02T16:15"))
    response = viewer_api.get("/api/control/scheduler")
    assert response.status_code == 200
    row = next(j for j in response.json()["jobs"] if j["job"] == "test_probe")
    assert row["enabled"] is True and row["next_run"] is not None
    assert row["last_run"]["status"] == "success"


def test_only_admins_toggle_schedules(viewer_api, admin_api, probe_job):
    from django_celery_beat.models import PeriodicTask

    schedules_sync()
    assert viewer_api.post("/api/control/scheduler/disable", {"job": "test_probe"}, format="json").status_code == 403
    response = admin_api.post("/api/control/scheduler/disable", {"job": "test_probe"}, format="json")
    assert response.status_code == 200
    assert PeriodicTask.objects.get(name="job:test_probe").enabled is False
    assert admin_api.post("/api/control/scheduler/disable", {"job": "nope"}, format="json").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_admin_triggers_a_job_through_the_api(admin_api, probe_job):
    from jutsu.celery import app

    app.conf.task_always_eager = True
    try:
        response = admin_api.post("/api/control/scheduler/trigger", {"job": "test_probe"}, format="json")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 202
    run = JobRun.objects.get(job_name="test_probe")
    assert run.trigger == "api"
