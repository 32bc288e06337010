"""``manage.py serve``: the platform on one machine — daphne, plus Celery worker and beat.

It first runs ``collectstatic`` (fingerprinted, gzip + brotli copies in ``STATIC_ROOT``; see
``jutsu/staticstorage.py``), so pages link long-cached hashed assets.

With ``REDIS_URL`` set the worker and beat are expected to run as their own services (see the
README's production notes) and ``--jobs auto`` starts none. Without Redis (the embedded mode) it
starts one Celery worker with an embedded beat on the local file broker — their start-up banners and
logs go to ``$JUTSU_DATA_DIR/log/worker.log`` and ``beat.log``, not to the terminal — waits until both
report a heartbeat, then serves HTTP and WebSockets through daphne. Once daphne accepts connections it
prints the final block: the URL to open, any ``--banner`` lines (the demo's credentials) and where the
job logs are. If any child exits, the others are stopped and the command fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jutsu.startup import wait_for_database

QUEUES = "default,live,research,housekeeping"
WEB_START_SECONDS = 60


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it (``var/log/worker.log``)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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
        parser.add_argument(
            "--banner",
            action="append",
            default=[],
            metavar="LINE",
            help="a line to print with the final 'serving on' block (repeatable; the demo's credentials)",
        )

    def handle(self, *args, host, port, jobs, concurrency, banner, **options):
        wait_for_database()
        self._collect_static()
        self.children: list[subprocess.Popen] = []
        self.logs: dict[str, Path] = {}
        signal.signal(signal.SIGTERM, self._terminate)
        signal.signal(signal.SIGINT, self._terminate)
        try:
            embedded = jobs == "embedded" or (jobs == "auto" and settings.JUTSU.embedded_jobs)
            if embedded:
                self._start_jobs(concurrency)
            self._start_web(host, port)
            self._print_ready(host, port, banner)
            self._supervise()
        finally:
            self._stop_children()

    def _collect_static(self) -> None:
        """Fingerprinted, compressed copies of the assets in ``STATIC_ROOT`` (new content only is compressed)."""
        self.stdout.write("collecting static files (the first run compresses them once: up to a minute)")
        self.stdout.flush()
        call_command("collectstatic", interactive=False, verbosity=0)

    def _print_ready(self, host: str, port: int, banner: list[str]) -> None:
        shown = "localhost" if host in ("127.0.0.1", "::1", "0.0.0.0") else host
        lines = [f"Jutsu Labs is serving on http://{shown}:{port}/  (admin: http://{shown}:{port}/admin/)", *banner]
        if self.logs:
            lines.append(f"Worker and beat output: {', '.join(_shown(path) for path in self.logs.values())}")
        lines.append("Stop with Ctrl-C.")
        self.stdout.write(self.style.SUCCESS("\n" + "\n".join(f"  {line}" for line in lines) + "\n"))
        self.stdout.flush()

    def _log_file(self, name: str):
        """Append-mode log file of one embedded service under ``$JUTSU_DATA_DIR/log/``, with a start line."""
        folder = Path(settings.JUTSU.data_dir) / "log"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.log"
        self.logs[name] = path
        handle = path.open("a", buffering=1)
        handle.write(f"\n=== {name} started by manage.py serve at {timezone.now().isoformat()} ===\n")
        return handle

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
        for name, command in (("worker", worker), ("beat", beat)):
            with self._log_file(name) as log:  # the child keeps its own copy of the descriptor
                self.children.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        where = " and ".join(_shown(path) for path in self.logs.values())
        self.stdout.write(f"starting embedded jobs: Celery worker and beat on the local file broker (output: {where})")
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
        raise CommandError(
            f"the embedded worker/beat did not report a heartbeat within {timeout:.0f} s "
            f"(see {', '.join(_shown(path) for path in self.logs.values())})"
        )

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
        self._wait_for_port(host, port)

    def _wait_for_port(self, host: str, port: int) -> None:
        """Until daphne accepts connections, so the final block is printed after its start-up lines."""
        deadline = time.monotonic() + WEB_START_SECONDS
        while time.monotonic() < deadline:
            self._check_children()
            try:
                with socket.create_connection((host, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"daphne did not accept connections on {host}:{port} within {WEB_START_SECONDS} s")

    def _check_children(self) -> None:
        for child in self.children:
            code = child.poll()
            if code is not None:
                service = next((name for name in self.logs if name in child.args), None)
                where = f" (see {_shown(self.logs[service])})" if service else ""
                raise CommandError(f"{' '.join(child.args[2:5])} exited with status {code}{where}")

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
