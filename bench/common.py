"""Helpers shared by the database benchmarks (not a benchmark itself: ``run_all.py`` runs ``*_bench.py``).

``django_setup`` must be called before any project import that needs Django: it points the process at a
fresh temporary data directory and SQLite database, sets Django up and migrates.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARKET = ROOT.parent / "shared" / "data" / "market"


def django_setup(prefix: str) -> Path:
    """A fresh data directory and SQLite database for this process, Django set up and migrated."""
    sys.path.insert(0, str(ROOT))
    data_dir = Path(tempfile.mkdtemp(prefix=f"jutsu-{prefix}-bench-"))
    os.environ["JUTSU_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ.setdefault("JUTSU_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jutsu.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return data_dir


@dataclass(frozen=True)
class Timing:
    """Median wall and CPU seconds of ``runs`` calls, the first call's seconds, statements per call, last result."""

    seconds: float
    cpu: float
    first: float
    queries: int
    runs: int
    result: Any

    def describe(self) -> str:
        spread = f"median of {self.runs}, first {self.first * 1000:.1f} ms, " if self.runs > 1 else ""
        return f"{self.seconds * 1000:.1f} ms ({spread}CPU {self.cpu * 1000:.1f} ms), {self.queries} queries"


def timed(func: Callable[[], Any], *, repeat: int = 1) -> Timing:
    """Time ``func`` ``repeat`` times. Statements are counted by a cheap execute wrapper (an ``executemany`` is
    one statement) rather than Django's debug capture, which formats every SQL text."""
    from django.db import connection

    walls, cpus, counts, result = [], [], [], None
    for _ in range(repeat):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            t0, c0 = time.perf_counter(), time.process_time()
            result = func()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        counts.append(count)
    return Timing(statistics.median(walls), statistics.median(cpus), walls[0], counts[-1], repeat, result)


def verdict(seconds: float, target: float) -> str:
    return f"{'OK' if seconds <= target else 'SLOW'} (target ≤ {target:g} s)"
