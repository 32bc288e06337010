"""Backtest engine benchmark: ``.venv/bin/python bench/backtest_bench.py [--repeat N]``.

Reads the real daily bars of ``../shared/data/market`` straight from CSV (no database) and times the
pure engine (``strategies.engine.run_backtest``, feed alignment included, CSV parsing excluded):

1. Hierarchical Adaptive v3.5b over 2010-02-11 … 2020-07-02 (QQQ, TQQQ, TLT, TMF, PSQ; QQQ history
   before the start serves as warm-up) — target ≤ 1.0 s;
2. SMA crossover 40/140 over the whole QQQ history — target ≤ 0.2 s;
3. v3.5b over 25 years of synthetic bars from ``trading.sources.synthetic`` (skipped with a message
   when that generator is not available).

Engine times are the median of ``--repeat`` runs (first run reported too). Peak memory is measured
with tracemalloc in a separate run (tracing slows the engine, so it is not timed), and the process's
maximum resident set size comes from ``resource.getrusage``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

PROCESS_T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from strategies.engine import BacktestConfig, create_strategy, run_backtest  # noqa: E402

MARKET = ROOT.parent / "shared" / "data" / "market"
V35B_SYMBOLS = ("QQQ", "TQQQ", "TLT", "TMF", "PSQ")
TARGET_V35B_S = 1.0
TARGET_SMA_S = 0.2


def load_csv(symbol: str) -> pd.DataFrame:
    """Yahoo-layout CSV → engine frame; rows without a close (an incomplete last bar) are dropped."""
    frame = pd.read_csv(MARKET / f"{symbol}.csv", index_col="Date", parse_dates=True, na_values="null")
    frame = frame.dropna(subset=["Close"]).rename(columns=str.lower)
    return frame[["open", "high", "low", "close", "volume"]]


def timed(make_strategy, data, config, repeat: int):
    """(first wall seconds, median wall seconds, median CPU seconds, last result) over ``repeat`` fresh runs.

    CPU seconds (``time.process_time``) show the engine's own cost when other processes compete for the
    machine's cores; on an idle machine wall and CPU time agree.
    """
    times, cpu, result = [], [], None
    for _ in range(repeat):
        strategy = make_strategy()
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_backtest(strategy, data, config)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times[0], statistics.median(times), statistics.median(cpu), result


def describe_time(first: float, median: float, cpu: float, repeat: int) -> str:
    return f"{median:.3f} median of {repeat} (first {first:.3f}; CPU {cpu:.3f})"


def peak_traced_mib(make_strategy, data, config) -> float:
    tracemalloc.start()
    run_backtest(make_strategy(), data, config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def verdict(seconds: float, target: float) -> str:
    return f"{'OK' if seconds <= target else 'SLOW'} (target ≤ {target:.1f} s)"


def bench_v35b(repeat: int) -> None:
    data = {s: load_csv(s) for s in V35B_SYMBOLS}
    config = BacktestConfig(initial_capital="10000", start="2010-02-11", end="2020-07-02")
    make = lambda: create_strategy("hierarchical_adaptive_v3_5b")  # noqa: E731
    first, median, cpu, result = timed(make, data, config, repeat)
    days = len(result.equity_curve)
    print("v3.5b, 2010-02-11 … 2020-07-02 (real QQQ, TQQQ, TLT, TMF, PSQ)")
    print(f"  bars processed      {result.bars_processed} ({days} reported days, rest warm-up)")
    print(f"  engine seconds      {describe_time(first, median, cpu, repeat)}  {verdict(median, TARGET_V35B_S)}")
    print(f"  bars/second         {result.bars_processed / median:,.0f} calendar bars, {days / median:,.0f} days")
    print(f"  fills / trades      {len(result.fills)} / {len(result.trades)}; final equity {result.final_equity}")
    print(f"  peak traced memory  {peak_traced_mib(make, data, config):.1f} MiB (tracemalloc, one run)")


def bench_sma(repeat: int) -> None:
    data = {"QQQ": load_csv("QQQ")}
    config = BacktestConfig(initial_capital="10000")
    make = lambda: create_strategy("sma_crossover", {"fast": 40, "slow": 140})  # noqa: E731
    first, median, cpu, result = timed(make, data, config, repeat)
    span = f"{result.data_range['first_bar']} … {result.data_range['last_bar']}"
    print(f"SMA crossover 40/140, full QQQ history ({span}, {result.bars_processed} bars)")
    print(f"  engine seconds      {describe_time(first, median, cpu, repeat)}  {verdict(median, TARGET_SMA_S)}")
    print(f"  bars/second         {result.bars_processed / median:,.0f}")


def bench_synthetic(repeat: int) -> None:
    try:
        from trading.sources.synthetic import generate_synthetic_bars
    except ImportError as exc:
        print(f"25-year synthetic run: skipped ({exc}; trading.sources.synthetic is not available)")
        return
    t0 = time.perf_counter()
    data = generate_synthetic_bars(["QQQ", "TQQQ", "PSQ", "TLT", "TMF", "TMV"], "2000-01-03", "2024-12-31", seed=42)
    generated = time.perf_counter() - t0
    make = lambda: create_strategy("hierarchical_adaptive_v3_5b")  # noqa: E731
    first, median, cpu, result = timed(make, data, BacktestConfig(initial_capital="10000"), repeat)
    print(f"v3.5b, 25 years of synthetic bars (2000-01-03 … 2024-12-31, {result.bars_processed} bars, 6 symbols)")
    print(f"  generation seconds  {generated:.3f}")
    print(f"  engine seconds      {describe_time(first, median, cpu, repeat)}")
    print(f"  bars/second         {result.bars_processed / median:,.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (median reported)")
    args = parser.parse_args()
    if not (MARKET / "QQQ.csv").is_file():
        print(f"real market data not found at {MARKET} (see ../shared/data/README.md)")
        return 1
    bench_v35b(args.repeat)
    bench_sma(args.repeat)
    bench_synthetic(args.repeat)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"process (load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    print(f"  whole-process secs  {time.perf_counter() - PROCESS_T0:.2f} wall (imports, CSV parsing, all runs)")
    print(f"  cpu seconds         {usage.ru_utime + usage.ru_stime:.2f}")
    print(f"  max resident set    {usage.ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
