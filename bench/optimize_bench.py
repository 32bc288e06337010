"""Optimisation benchmark: ``.venv/bin/python bench/optimize_bench.py [--workers 1,2] [--paths 1000]``.

1. The 64-combination v3.5b grid of ``config/optimization/v3_5b.yaml`` over 2010-02-11 … 2020-07-02 on the
   real bars of ``../shared/data/market``, end to end through real Celery worker processes (each one
   ``celery worker -Q research --concurrency 1``), first with one worker, then with two: from
   ``optimization_run_start`` (validation, 64 trial rows, 64 queued tasks) to the run being completed
   (every backtest, the ranking and the overfitting audit). The workers are started and warm (imports
   done, heartbeat written) before the clock starts; the bars are read by each worker inside the timing.
   Targets on this 2-core machine: ≤ 10 s with two workers, speed-up ≥ 1.7×.
2. 1000-path Monte Carlo (bootstrap) of the best v3.5b combination's daily returns — target ≤ 1 s.
3. The same grid in one process with and without the shared feeds/indicator cache (how much sharing saves).

It uses its own temporary database (SQLite) and the embedded file-system broker that ``make serve`` uses
(no Redis needed); the load average is printed, because the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

TARGET_TWO_WORKERS_S = 10.0
TARGET_SPEEDUP = 1.7
TARGET_MC_S = 1.0
SYMBOLS = ("QQQ", "TQQQ", "TLT", "TMF", "PSQ")

os.environ.pop("REDIS_URL", None)  # the embedded file-system broker, as `make serve` uses without Redis
from common import MARKET, ROOT, django_setup  # noqa: E402

TMP = django_setup("optimize")

from jutsu.models import ServiceHeartbeat  # noqa: E402
from strategies.models import OptimizationRun  # noqa: E402
from strategies.services.optimization_config import optimization_config_load  # noqa: E402
from strategies.services.optimization_runs import OptimizationRequest, optimization_run_start  # noqa: E402


def setup() -> None:
    from strategies.services.registry import strategies_sync
    from trading.marketdata.importing import market_data_import_file

    for symbol in SYMBOLS:
        market_data_import_file(path=MARKET / f"{symbol}.csv")
    strategies_sync()


def grid_request() -> OptimizationRequest:
    config = optimization_config_load(ROOT / "config" / "optimization" / "v3_5b.yaml")
    return OptimizationRequest(
        kind="grid", strategy_id="v3_5b", start=config["start"], end=config["end"], space=config["grid"]
    )


def start_workers(count: int, tag: str) -> list[subprocess.Popen]:
    since = time.time()
    workers = []
    for i in range(count):
        name = f"bench-{tag}-{i}@{os.uname().nodename}"
        command = [sys.executable, "-m", "celery", "-A", "jutsu", "worker", "-Q", "research", "--concurrency", "1",
                   "--without-gossip", "--without-mingle", "-n", name, "--loglevel", "WARNING"]  # fmt: skip
        log = (TMP / f"worker-{tag}-{i}.log").open("w")
        workers.append(
            subprocess.Popen(
                command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )
    names = {f"bench-{tag}-{i}@{os.uname().nodename}" for i in range(count)}
    deadline = time.time() + 120
    while time.time() < deadline:
        seen = set(ServiceHeartbeat.objects.filter(hostname__in=names).values_list("hostname", flat=True))
        if seen >= names:
            time.sleep(1.0)  # past worker_ready: the pool is up
            return workers
        time.sleep(0.2)
    stop_workers(workers)
    raise SystemExit(f"workers did not start within 120 s (saw heartbeats of {seen or 'none'}; started {since:.0f})")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    import signal

    for w in workers:
        try:
            os.killpg(w.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)


def timed_grid(count: int) -> tuple[float, OptimizationRun, float, float]:
    workers = start_workers(count, f"w{count}")
    try:
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        run = optimization_run_start(grid_request(), execution="celery")
        while True:
            run.refresh_from_db()
            if run.status in ("completed", "failed"):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        return elapsed, run, load0, os.getloadavg()[0]
    finally:
        stop_workers(workers)


def in_process_sharing() -> tuple[float, float]:
    """The same 64 backtests in this process, with the shared feeds and with a fresh feed per backtest."""
    from strategies.bars import bars_read, strategy_symbols, warmup_bars
    from strategies.engine import BacktestConfig, create_strategy, run_backtest
    from strategies.engine.optimize import SharedBars, grid_expand
    from strategies.engine.strategy import get_strategy_class

    request = grid_request()
    cls = get_strategy_class("hierarchical_adaptive_v3_5b")
    combos = grid_expand(cls, request.space).combinations
    config = BacktestConfig(initial_capital="10000", start=request.start, end=request.end)
    probe = create_strategy("hierarchical_adaptive_v3_5b")
    symbols = strategy_symbols(probe, "QQQ")
    longest = max(warmup_bars(cls(c)) for c in combos)
    frames = bars_read(symbols, request.start, request.end, warmup_bars=longest)
    out = []
    for share in (True, False):
        shared = SharedBars(frames, request.start, longest)
        t0 = time.perf_counter()
        for combo in combos:
            strategy = cls(combo)
            data = shared.frames(symbols, warmup_bars(strategy))
            run_backtest(strategy, data, config, feeds=shared.pool if share else None)
        out.append(time.perf_counter() - t0)
    return out[0], out[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated")
    parser.add_argument("--paths", type=int, default=1000)
    args = parser.parse_args()
    if not (MARKET / "QQQ.csv").is_file():
        print(f"real market data not found at {MARKET} (see ../shared/data/README.md)")
        return 1
    try:
        t0 = time.perf_counter()
        setup()
        print(f"set-up (import {len(SYMBOLS)} symbols, sync strategies): {time.perf_counter() - t0:.1f} s")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the runs")
        times = {}
        best_run = None
        for count in [int(c) for c in args.workers.split(",")]:
            elapsed, run, load_before, load_after = timed_grid(count)
            times[count] = elapsed
            best_run = run
            trials = run.trials.filter(status="completed").count()
            verdict = ""
            if count == 2:
                ok = elapsed <= TARGET_TWO_WORKERS_S
                verdict = f"  {'OK' if ok else 'SLOW'} (target ≤ {TARGET_TWO_WORKERS_S:.0f} s)"
            print(
                f"v3.5b 64-combination grid, {count} worker(s): {elapsed:.2f} s end to end, {trials} trials "
                f"{run.status}, {64 / elapsed:.1f} backtests/s (load {load_before:.2f} → {load_after:.2f}){verdict}"
            )
        if 1 in times and 2 in times:
            speedup = times[1] / times[2]
            print(f"speed-up 1 → 2 workers: {speedup:.2f}×  {'OK' if speedup >= TARGET_SPEEDUP else 'LOW'} "
                  f"(target ≥ {TARGET_SPEEDUP}×)")  # fmt: skip
        if best_run is not None and best_run.status == "completed":
            best = best_run.summary["best"]
            audit = best_run.audit
            print(f"  best: {best['params']} sharpe {best['metrics']['sharpe']:.3f}; audit: {audit.get('verdict')}, "
                  f"DSR {audit.get('deflated_sharpe')}, PBO {audit.get('pbo')}")  # fmt: skip
            bench_monte_carlo(best_run, args.paths)
        shared, fresh = in_process_sharing()
        print(f"same grid in one process: {shared:.2f} s with shared feeds/indicators, {fresh:.2f} s without "
              f"({(1 - shared / fresh) * 100:.0f}% saved)")  # fmt: skip
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


def bench_monte_carlo(run: OptimizationRun, paths: int) -> None:
    import numpy as np

    from strategies.engine.optimize import monte_carlo
    from strategies.selectors import optimization_trials_ranked

    best = optimization_trials_ranked(run.pk, series=True).first()
    equity = np.array(best.equity)
    returns = equity[1:] / equity[:-1] - 1.0
    days = (np.datetime64(best.dates[-1]) - np.datetime64(best.dates[0])).astype(int)
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        result = monte_carlo(returns, calendar_days=int(days), paths=paths, method="bootstrap", seed=1)
        timings.append(time.perf_counter() - t0)
    median = sorted(timings)[2]
    ok = "OK" if median <= TARGET_MC_S else "SLOW"
    print(f"Monte Carlo {paths} paths × {returns.size} days (bootstrap): {median:.3f} s median of 5  {ok} "
          f"(target ≤ {TARGET_MC_S:.0f} s); P(loss) {result['probability_of_loss']:.3f}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
