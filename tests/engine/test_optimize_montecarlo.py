"""Monte Carlo resampling: reproducible with a seed, statistically sane, vectorised."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.engine.optimize import monte_carlo
from strategies.engine.optimize.montecarlo import path_statistics, resample_returns

RETURNS = np.random.default_rng(11).normal(0.0005, 0.012, 2000)


def test_the_same_seed_gives_the_same_numbers_and_another_seed_other_numbers():
    a = monte_carlo(RETURNS, calendar_days=2900, paths=500, seed=7)
    b = monte_carlo(RETURNS, calendar_days=2900, paths=500, seed=7)
    c = monte_carlo(RETURNS, calendar_days=2900, paths=500, seed=8)
    assert a == b
    assert a["percentiles"] != c["percentiles"]


def test_shuffling_preserves_total_return_and_sharpe_but_not_drawdown():
    matrix = resample_returns(RETURNS, paths=200, method="shuffle", rng=np.random.default_rng(1))
    assert all(sorted(row) == sorted(RETURNS) for row in matrix[:5])
    stats = path_statistics(matrix, calendar_days=2900)
    observed = path_statistics(RETURNS[None, :], calendar_days=2900)
    np.testing.assert_allclose(stats["total_return"], observed["total_return"][0], rtol=1e-10)
    np.testing.assert_allclose(stats["sharpe"], observed["sharpe"][0], rtol=1e-10)
    assert np.ptp(stats["max_drawdown"]) > 0.01


def test_the_bootstrap_mean_matches_the_sample_mean_within_its_standard_error():
    matrix = resample_returns(RETURNS, paths=4000, method="bootstrap", rng=np.random.default_rng(2))
    path_means = matrix.mean(axis=1)
    standard_error = RETURNS.std(ddof=1) / np.sqrt(RETURNS.size) / np.sqrt(4000)
    assert abs(path_means.mean() - RETURNS.mean()) < 4 * standard_error
    # and the spread of path means is the sampling error of a mean of n returns
    assert path_means.std() == pytest.approx(RETURNS.std() / np.sqrt(RETURNS.size), rel=0.05)


def test_the_block_bootstrap_keeps_runs_of_consecutive_returns():
    returns = np.arange(100, dtype=float) / 1000
    matrix = resample_returns(returns, paths=50, method="block", rng=np.random.default_rng(3), block_size=10)
    assert matrix.shape == (50, 100)
    steps = np.diff(matrix, axis=1)
    # within a block the next return is the next day's (wrapping at the end); jumps happen every 10th step at most
    regular = np.isclose(steps, 0.001) | np.isclose(steps, -0.099)
    assert regular.sum(axis=1).min() >= 90 - 10


def test_the_summary_is_ordered_and_the_loss_probability_is_a_share_of_paths():
    result = monte_carlo(RETURNS, calendar_days=2900, paths=1000, seed=5, method="bootstrap")
    for name in ("total_return", "cagr", "sharpe", "max_drawdown"):
        p = result["percentiles"][name]
        assert p["p5"] <= p["p25"] <= p["p50"] <= p["p75"] <= p["p95"]
        assert sum(result["histograms"][name]["counts"]) == 1000
    assert 0 <= result["probability_of_loss"] <= 1
    assert result["median_sharpe"] == pytest.approx(result["percentiles"]["sharpe"]["p50"])
    assert result["drawdown_p5"] == pytest.approx(result["percentiles"]["max_drawdown"]["p5"])
    assert result["percentiles"]["max_drawdown"]["p95"] <= 0


def test_path_statistics_agree_with_the_analyzer_on_the_original_order():
    import pandas as pd

    from strategies.engine.analyzer import analyze_performance

    curve = pd.Series(
        10_000 * np.concatenate(([1.0], np.cumprod(1 + RETURNS))), index=pd.bdate_range("2012-01-03", periods=2001)
    )
    metrics = analyze_performance(curve)
    days = (curve.index[-1] - curve.index[0]).days
    stats = path_statistics(RETURNS[None, :], calendar_days=days)
    assert stats["total_return"][0] == pytest.approx(metrics.total_return, rel=1e-9)
    assert stats["cagr"][0] == pytest.approx(metrics.cagr, rel=1e-9)
    assert stats["sharpe"][0] == pytest.approx(metrics.sharpe, rel=1e-9)
    assert stats["max_drawdown"][0] == pytest.approx(metrics.max_drawdown, rel=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"paths": 0}, "paths must be an integer between 1 and 100000"),
        ({"method": "jackknife"}, "not one of shuffle, bootstrap, block"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        monte_carlo(RETURNS, calendar_days=2900, **{"paths": 10, "seed": 1, **kwargs})
