"""Helpers for tests that need real PostgreSQL + Redis and real Celery processes.

They run in CI's second leg (``DATABASE_URL=postgresql://…``, ``REDIS_URL=redis://…``) and skip
elsewhere with the reason. Subprocesses get the environment of the test database so that a worker
sees what the test committed (use ``django_db(transaction=True)``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def require_services() -> None:
    """Skip unless the suite runs against PostgreSQL and Redis."""
    if not settings.JUTSU.redis_url or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL + Redis: set DATABASE_URL=postgresql://… and REDIS_URL=redis://… (CI does)")


def subprocess_env() -> dict[str, str]:
    """The environment of a child process that uses the *test* database."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    url = f"postgresql://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": settings.JUTSU.redis_url,
            "DJANGO_SETTINGS_MODULE": "jutsu.settings",
            "JUTSU_DATA_DIR": str(settings.JUTSU_DATA_DIR),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@contextmanager
def celery_process(*args: str, log: Path) -> Iterator[subprocess.Popen]:
    """Run ``celery -A jutsu <args>`` for the duration of the block."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "jutsu", *args],
            cwd=ROOT,
            env=subprocess_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, log: Path | None = None) -> None:
    """Poll ``condition`` until true; fail with the process log when it never becomes true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{tail}")
