"""``manage.py serve``: the platform on one machine — daphne, plus Celery worker and beat.

With ``REDIS_URL`` set the worker and beat are expected to run as their own services (see the
README's production notes) and ``--jobs auto`` starts none. Without Redis (the embedded mode) it
starts one Celery worker with an embedded beat on the local file broker, waits until both report a
heartbeat, then serves HTTP and WebSockets through daphne. If any child exits, the others are
stopped and the command fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jutsu.startup import wait_for_database

QUEUES = "default,live,research,housekeeping"


class Command(BaseCommand):
    help = "Serve the platform on 127.0.0.1:$PORT through daphne (with embedded jobs when there is no Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--jobs",
            choices=("auto", "embedded", "off"),
            default=os.environ.get("JUTSU_JOBS", "auto"),
            help="auto: embedded worker+beat when REDIS_URL is unset; embedded: always; off: web only",
        )
        parser.add_argument("--concurrency", type=int, default=2, help="embedded worker processes")

    def handle(self, *args, host, port, jobs, concurrency, **options):
        wait_for_database()
        self.children: list[subprocess.Popen] = []
        signal.signal(signal.SIGTERM, self._terminate)
        signal.signal(signal.SIGINT, self._terminate)
        try:
            embedded = jobs == "embedded" or (jobs == "auto" and settings.JUTSU.embedded_jobs)
            if embedded:
                self._start_jobs(concurrency)
            self._start_web(host, port)
            shown = "localhost" if host in ("127.0.0.1", "::1") else host
            self.stdout.write(f"Jutsu Labs is serving on http://{shown}:{port}/  (admin: http://{shown}:{port}/admin/)")
            self.stdout.flush()
            self._supervise()
        finally:
            self._stop_children()

    def _start_jobs(self, concurrency: int) -> None:
        started_at = timezone.now()
        celery = [sys.executable, "-m", "celery", "-A", "jutsu"]
        level = ["--loglevel", settings.JUTSU.log_level]
        worker = [
            *celery,
            "worker",
            *("-Q", QUEUES, "--concurrency", str(concurrency)),
            *("--without-gossip", "--without-mingle", "-n", f"embedded@{os.uname().nodename}"),
            *level,
        ]
        beat = [*celery, "beat", *level]
        self.stdout.write("starting embedded jobs: Celery worker and beat on the local file broker")
        self.children.append(subprocess.Popen(worker))
        self.children.append(subprocess.Popen(beat))
        self._wait_for_heartbeats(started_at)

    def _wait_for_heartbeats(self, since, timeout: float = 120) -> None:
        from jutsu.models import ServiceHeartbeat

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_children()
            seen = set(ServiceHeartbeat.objects.filter(last_seen_at__gte=since).values_list("service", flat=True))
            if {"worker", "beat"} <= seen:
                self.stdout.write("embedded worker and beat are up")
                return
            time.sleep(0.5)
        raise CommandError("the embedded worker/beat did not report a heartbeat within 120 s")

    def _start_web(self, host: str, port: int) -> None:
        # daphne's own access log would print query strings (WebSocket ?token=…); ours does not.
        web = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            host,
            "-p",
            str(port),
            "--access-log",
            os.devnull,
            "jutsu.asgi:application",
        ]
        self.children.append(subprocess.Popen(web))

    def _check_children(self) -> None:
        for child in self.children:
            code = child.poll()
            if code is not None:
                raise CommandError(f"{' '.join(child.args[2:5])} exited with status {code}")

    def _supervise(self) -> None:
        while True:
            self._check_children()
            time.sleep(1)

    def _terminate(self, signum, frame):
        self._stop_children()
        raise SystemExit(0)

    def _stop_children(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in self.children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.children = []
