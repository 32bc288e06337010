"""Real Celery worker and beat on Redis + PostgreSQL, and the Redis channel layer across processes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from jutsu.models import JobRun, ServiceHeartbeat
from jutsu.routing import websocket_urlpatterns
from tests.services import ROOT, celery_process, require_services, subprocess_env, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _services():
    require_services()


def test_task_round_trip_through_a_real_worker(tmp_path):
    from jutsu.tasks import ping

    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with celery_process(
        "worker", "-Q", queue, "--pool", "solo", "--without-gossip", "--without-mingle", "-n", f"{queue}@test", log=log
    ):
        result = ping.apply_async(args=["round-trip"], queue=queue)
        assert result.get(timeout=60) == "round-trip"
        wait_for(
            lambda: ServiceHeartbeat.objects.filter(service="worker", hostname=f"{queue}@test").exists(),
            timeout=30,
            what="the worker heartbeat",
            log=log,
        )


def test_a_database_schedule_fires_a_job_and_its_run_is_recorded(tmp_path):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    queue = f"test-{uuid.uuid4().hex[:8]}"
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name=f"test:{queue}",
        task="jutsu.tasks.run_job_task",
        interval=every_second,
        args=json.dumps(["housekeeping"]),
        queue=queue,
    )
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    with (
        celery_process(
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{queue}@test",
            log=worker_log,
        ),
        celery_process("beat", "--schedule", str(tmp_path / "beat-schedule"), log=beat_log),
    ):
        wait_for(
            lambda: (
                JobRun.objects.filter(job_name="housekeeping", trigger="schedule").exclude(status="running").exists()
            ),
            timeout=90,
            what="a scheduled housekeeping run",
            log=beat_log,
        )
        wait_for(
            lambda: ServiceHeartbeat.objects.filter(service="beat").exists(),
            timeout=30,
            what="the beat heartbeat",
            log=beat_log,
        )
    run = JobRun.objects.filter(job_name="housekeeping").earliest("started_at")
    assert run.status in {"success", "skipped"}, (run.status, run.error)
    assert run.finished_at is not None


def test_publish_from_another_process_reaches_the_socket_through_redis(viewer_user):
    from channels.layers import get_channel_layer

    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
    marker = uuid.uuid4().hex

    async def scenario():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/")
        communicator.scope["user"] = viewer_user
        assert (await communicator.connect())[0]
        await communicator.receive_json_from()
        code = (
            "from jutsu.events import build_event, send_now; "
            f"send_now(build_event('data_refresh', {{'refresh_type': 'manual', 'marker': '{marker}'}}))"
        )
        # In a thread: a blocked event loop would let the consumer's pending Redis read time out.
        process = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert process.returncode == 0, process.stderr
        # Other tests running in parallel publish to the same group: wait for our marker.
        for _ in range(50):
            message = await communicator.receive_json_from(timeout=10)
            if message.get("marker") == marker:
                break
        assert message["type"] == "data_refresh" and message["marker"] == marker
        await communicator.disconnect()

    async_to_sync(scenario)()
