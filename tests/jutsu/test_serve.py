"""``make demo`` / ``manage.py demo``: what the terminal shows, end to end with the real processes.

The demo sets up a fresh SQLite database, then ``serve`` starts the embedded Celery worker and beat and daphne.
Their start-up banners (~45 lines) used to push the admin's credentials off the screen; now they go to log files
under the data directory and the final "serving on" block repeats the credentials.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.services import ROOT, wait_for

pytestmark = pytest.mark.slow

PASSWORD = "Demo-serve-pw-2718"
CHATTER = ("celery beat v", "[tasks]", "[queues]", "beat: Starting", "SecurityWarning", "Connected to filesystem")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_demo_ends_with_the_credentials_and_keeps_worker_and_beat_output_in_log_files(tmp_path):
    data_dir, port, out = tmp_path / "var", _free_port(), tmp_path / "terminal.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        JUTSU_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{tmp_path}/demo.sqlite3",
        JUTSU_ADMIN_PASSWORD=PASSWORD,
        JUTSU_ENV="development",
        LOG_LEVEL="INFO",
    )
    with out.open("w") as terminal:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=terminal,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: "is serving on" in out.read_text(), timeout=400, what="the serving line", log=out)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    lines = out.read_text().splitlines()
    serving = max(i for i, line in enumerate(lines) if "is serving on" in line)
    block = lines[serving:]
    assert f"http://localhost:{port}/" in block[0]
    assert any(f"username: admin   password: {PASSWORD}" in line for line in block), block
    worker_log, beat_log = data_dir / "log" / "worker.log", data_dir / "log" / "beat.log"
    assert any(str(worker_log) in line and str(beat_log) in line for line in block), block
    assert block[-1].strip() == "Stop with Ctrl-C."

    # between the first display of the credentials and the end, no worker/beat start-up chatter
    shown = next(i for i, line in enumerate(lines) if PASSWORD in line)
    after = "\n".join(lines[shown:])
    assert not [marker for marker in CHATTER if marker in after], after
    assert len(lines) - shown < 25, after
    assert "[tasks]" in worker_log.read_text() and "ready" in worker_log.read_text()
    assert "beat: Starting" in beat_log.read_text()
    # the demo serves fingerprinted, compressed static files: serve ran collectstatic
    assert list((data_dir / "staticfiles" / "vendor").glob("plotly.min.*.js.br"))
