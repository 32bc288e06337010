"""Rules the suite itself keeps: no wall-clock assertions (seconds belong in ``bench/``).

A timed test passes alone and flakes on a loaded 2-core machine (the ten-years market-data read did); tests
assert results and query counts instead. Reading the clock is allowed only where it is not a measurement.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# clock functions whose only use in a test would be to time something
TIMERS = {"perf_counter", "perf_counter_ns", "process_time", "process_time_ns", "thread_time", "monotonic", "time"}
TIMER_MODULES = {"time", "timeit"}
# files that read the clock for something other than a measurement, and why
ALLOWED = {
    "services.py": "a deadline while waiting for a started Celery/daphne process",
    "accounts/conftest.py": "the current TOTP time step",
    "trading/test_schwab_source.py": "the creation stamp of a stored OAuth token",
}


def _clock_reads(path: Path) -> list[str]:
    """``module.function`` clock reads in a file (``time.perf_counter()``, ``from time import monotonic`` …)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in TIMER_MODULES:
            if node.value.id == "timeit" or node.attr in TIMERS:
                found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.ImportFrom) and node.module in TIMER_MODULES:
            names = [a.name for a in node.names if node.module == "timeit" or a.name in TIMERS]
            found += [f"{node.module}.{name} (line {node.lineno})" for name in names]
        elif isinstance(node, ast.Import):
            found += [f"import timeit (line {node.lineno})" for a in node.names if a.name == "timeit"]
    return found


def test_no_test_measures_wall_clock_time():
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        name = path.relative_to(TESTS).as_posix()
        if name in ALLOWED:
            continue
        reads = _clock_reads(path)
        if reads:
            offenders[name] = reads
    assert not offenders, f"wall-clock reads in tests (assert results and query counts; time it in bench/): {offenders}"


def test_the_rule_sees_the_usual_ways_of_timing(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time\nimport timeit\nfrom time import monotonic\n"
        "t = time.perf_counter()\nu = time.time()\nv = timeit.timeit('1')\nw = time.sleep\n"
    )
    reads = {read.split(" (")[0] for read in _clock_reads(sample)}
    assert reads == {"import timeit", "time.monotonic", "time.perf_counter", "time.time", "timeit.timeit"}
