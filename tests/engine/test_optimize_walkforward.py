"""Walk-forward: windows never overlap, selection sees in-sample bars only, OOS equity is stitched."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from strategies.engine.analyzer import analyze_performance
from strategies.engine.optimize import GridError, walk_forward, walk_forward_windows


def analyze(curve: pd.Series) -> dict:
    return analyze_performance(curve).as_dict()


def curve_from_returns(returns: np.ndarray, start: str = "2015-01-02") -> pd.Series:
    index = pd.bdate_range(start, periods=len(returns) + 1)
    return pd.Series(10_000 * np.concatenate(([1.0], np.cumprod(1 + returns))), index=index, dtype=float)


def test_windows_roll_by_the_oos_length_and_never_overlap():
    windows = walk_forward_windows(1000, is_bars=252, oos_bars=63)
    assert len(windows) == (1000 - 252) // 63
    for w in windows:
        assert w.is_last - w.is_first + 1 == 252 and w.oos_last - w.oos_first + 1 == 63
        assert w.is_last < w.oos_first
    for a, b in itertools.pairwise(windows):
        assert b.oos_first == a.oos_last + 1


def test_a_range_too_short_for_one_window_is_an_error():
    with pytest.raises(GridError, match="needs at least is_bars \\+ oos_bars = 315"):
        walk_forward_windows(300)


def test_a_future_only_signal_is_never_picked():
    """'oracle' earns only in the last OOS window (it knows the future) and loses slightly before it."""
    n = 252 + 3 * 63
    windows = walk_forward_windows(n + 1)
    last = windows[-1]
    oracle = np.full(n, -0.0005)
    oracle[last.oos_first - 1 : last.oos_last] = 0.02  # returns index t-1 belongs to curve row t
    steady = np.full(n, 0.0004) + np.random.default_rng(1).normal(0, 0.001, n)
    curves = {"oracle": curve_from_returns(oracle), "steady": curve_from_returns(steady)}
    params = {"oracle": {"x": 1}, "steady": {"x": 2}}
    result = walk_forward(curves, params, metric="sharpe", analyze=analyze)
    assert [w["best_params"] for w in result["windows"]] == [{"x": 2}] * len(windows)
    # the stitched OOS equity is steady's, so it never shows the oracle's jump
    oos = pd.Series([p["equity"] for p in result["oos_equity"]])
    assert oos.pct_change().max() < 0.01


def test_changing_the_future_never_changes_a_window_s_choice():
    rng = np.random.default_rng(3)
    n = 252 + 6 * 63
    base = {f"c{i}": rng.normal(0.0003 * i, 0.01, n) for i in range(4)}
    params = {k: {"i": i} for i, k in enumerate(base)}
    first = walk_forward({k: curve_from_returns(r) for k, r in base.items()}, params, metric="sharpe", analyze=analyze)
    for w_index, window in enumerate(first["windows"]):
        cut = walk_forward_windows(n + 1)[w_index].is_last  # curve row of the IS end
        changed = {k: r.copy() for k, r in base.items()}
        for r in changed.values():
            r[cut:] = rng.normal(0, 0.05, n - cut)  # every return after the IS end is replaced
        again = walk_forward(
            {k: curve_from_returns(r) for k, r in changed.items()}, params, metric="sharpe", analyze=analyze
        )
        assert again["windows"][w_index]["best_params"] == window["best_params"]
        assert again["windows"][w_index]["is_metrics"] == window["is_metrics"]


def test_the_stitched_equity_chains_the_chosen_combinations_oos_returns():
    rng = np.random.default_rng(5)
    n = 252 + 4 * 63
    returns = {"a": rng.normal(0.001, 0.01, n), "b": rng.normal(0.0, 0.01, n)}
    curves = {k: curve_from_returns(r) for k, r in returns.items()}
    result = walk_forward(
        curves, {"a": {"p": 1}, "b": {"p": 2}}, metric="total_return", analyze=analyze, initial_equity=100
    )
    windows = result["windows"]
    assert result["oos_equity"][0]["date"] == windows[0]["oos_start"]
    assert result["oos_equity"][-1]["date"] == windows[-1]["oos_end"]
    assert len(result["oos_equity"]) == 63 * len(windows)
    expected = 100.0
    for w in windows:
        expected *= 1 + w["oos_metrics"]["total_return"]
    assert result["oos_equity"][-1]["equity"] == pytest.approx(expected, rel=1e-12)
    is_mean = np.mean([w["is_metrics"]["total_return"] for w in windows])
    oos_mean = np.mean([w["oos_metrics"]["total_return"] for w in windows])
    assert result["efficiency"] == pytest.approx(oos_mean / is_mean)
    stability = result["stability"]["parameters"]["p"]
    assert stability["values"] == [w["best_params"]["p"] for w in windows]
    assert 0 < result["stability"]["score"] <= 1


def test_walk_forward_refuses_metrics_a_window_cannot_compute():
    with pytest.raises(GridError, match="needs trades or a baseline"):
        walk_forward({"a": curve_from_returns(np.zeros(400))}, {"a": {}}, metric="profit_factor", analyze=analyze)
