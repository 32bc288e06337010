"""Bars loaded once for a grid give every combination exactly the run a single backtest gives."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from strategies.engine import BacktestConfig, create_strategy, run_backtest
from strategies.engine.kalman import kalman_strength
from strategies.engine.optimize import SharedBars
from tests.engine.helpers import load_market

START, END = dt.date(2012, 1, 3), dt.date(2016, 12, 30)
MARGIN = 20


def single_load(frames: dict[str, pd.DataFrame], warmup: int) -> dict[str, pd.DataFrame]:
    """What a single backtest loads: the range plus the last ``warmup`` bars before the start."""
    out = {}
    for symbol, frame in frames.items():
        before = frame[frame.index.date < START]
        inside = frame[(frame.index.date >= START) & (frame.index.date <= END)]
        out[symbol] = pd.concat([before.iloc[-warmup:], inside])
    return out


def test_every_grid_combination_equals_its_single_backtest_bit_for_bit():
    frames = load_market("QQQ", "TQQQ", "TLT", "TMF", "PSQ")
    config = BacktestConfig(initial_capital="10000", start=START, end=END)
    cases = [
        ("sma_crossover", {"fast": 20, "slow": 100}),
        ("sma_crossover", {"fast": 40, "slow": 100}),
        ("sma_crossover", {"fast": 20, "slow": 150}),
        ("hierarchical_adaptive_v3_5b", {"sma_fast": 40}),
        ("hierarchical_adaptive_v3_5b", {"sma_fast": 50}),
    ]
    longest = max(create_strategy(c, p).warmup_bars for c, p in cases) + MARGIN
    shared = SharedBars(single_load(frames, longest), START)
    for class_id, params in cases:
        strategy = create_strategy(class_id, params)
        warmup = strategy.warmup_bars + MARGIN
        pooled = run_backtest(strategy, shared.frames((*strategy.symbols, "QQQ"), warmup), config, feeds=shared.pool)
        single = run_backtest(create_strategy(class_id, params), single_load(frames, warmup), config)
        assert pooled.to_dict() == single.to_dict(), (class_id, params)
    # two SMA combinations share slow = 100 (same warm-up), the two v3.5b ones share everything — including
    # one pass of the Kalman filter, cached on their common feed
    assert shared.pool.built == 3 and shared.pool.reused == 2
    kalman_passes = [key for feed in shared.pool.feeds() for key in feed._cache if key[1] is kalman_strength]
    assert len(kalman_passes) == 1


def test_the_cut_keeps_the_requested_warm_up_and_returns_the_same_frames_each_time():
    frames = load_market("QQQ")
    shared = SharedBars(single_load(frames, 300), START)
    cut = shared.frames(["QQQ"], 120)
    qqq = cut["QQQ"]
    assert (qqq.index.date < START).sum() == 120
    assert qqq.index[-1].date() <= END
    assert shared.frames(["QQQ"], 120)["QQQ"] is qqq
    assert shared.frames(["QQQ", "SPY"], 120) == {"QQQ": qqq}  # a symbol without bars is simply absent
