"""Deflated Sharpe ratio and PBO against the published worked examples; plateau and verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from strategies.engine.optimize import (
    audit_verdict,
    deflated_sharpe_from_returns,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    nearest_trials,
    plateau_check,
    probability_of_backtest_overfitting,
)


def test_deflated_sharpe_matches_the_numerical_example_of_bailey_and_lopez_de_prado_2014():
    """Paper, section "A numerical example": annualised SR 2.5 after N = 100 trials whose annualised Sharpe
    variance is 1/2, T = 1250 daily returns (5 years), skewness −3, kurtosis 10 → SR₀ ≈ 0.1132 (per day)
    and DSR ≈ 0.9004."""
    result = deflated_sharpe_ratio(2.5 / math.sqrt(250), 1250, 100, 0.5 / 250, skewness=-3, kurtosis=10)
    assert result["expected_max_sharpe"] == pytest.approx(0.1132, abs=5e-5)
    assert result["deflated_sharpe"] == pytest.approx(0.9004, abs=5e-5)


def test_one_trial_is_not_deflated_and_more_trials_deflate_more():
    assert expected_max_sharpe(1, 0.01) == 0.0
    values = [deflated_sharpe_ratio(0.1, 1000, n, 0.001)["deflated_sharpe"] for n in (1, 10, 100, 1000)]
    assert values == sorted(values, reverse=True)


def test_deflated_sharpe_from_returns_takes_the_variance_across_trials():
    rng = np.random.default_rng(4)
    matrix = rng.normal(0, 0.01, (1000, 20))
    matrix[:, 3] += 0.002  # one trial with an edge of 0.2 daily standard deviations
    best = int(np.argmax(matrix.mean(axis=0) / matrix.std(axis=0, ddof=1)))
    result = deflated_sharpe_from_returns(matrix, best)
    assert best == 3
    assert result["n_trials"] == 20 and result["n_obs"] == 1000
    assert result["deflated_sharpe"] > 0.95
    noise = rng.normal(0, 0.01, (1000, 20))
    best_noise = int(np.argmax(noise.mean(axis=0) / noise.std(axis=0, ddof=1)))
    assert deflated_sharpe_from_returns(noise, best_noise)["deflated_sharpe"] < 0.9


def test_pbo_follows_the_cscv_steps_on_a_hand_computed_case():
    """Bailey, Borwein, López de Prado & Zhu (2017), CSCV with S = 2 blocks of two rows, N = 2 trials.

    Block sharpes (mean / sample std): A = (1.414, −0.707), B = (0.707, 2.121). Split IS = block 0 picks A,
    which is worst OOS (rank 1 of 2, ω = 1/3, λ = ln ½ < 0); split IS = block 1 picks B, worst OOS in block 0
    (λ < 0): PBO = 1. Making B best in both blocks turns both logits positive: PBO = 0.
    """
    a = [0.01, 0.03, -0.01, 0.00]
    b = [0.00, 0.01, 0.02, 0.04]
    result = probability_of_backtest_overfitting(np.array([a, b]).T, n_splits=2)
    assert result["n_combinations"] == 2
    assert result["pbo"] == 1.0
    assert result["mean_logit"] == pytest.approx(math.log(0.5))
    b_dominant = [0.02, 0.03, 0.02, 0.04]
    result = probability_of_backtest_overfitting(np.array([a, b_dominant]).T, n_splits=2)
    assert result["pbo"] == 0.0
    assert result["mean_logit"] == pytest.approx(math.log(2))


def test_pbo_is_about_one_half_for_skill_less_trials_and_zero_for_a_real_edge():
    rng = np.random.default_rng(9)
    noise = [probability_of_backtest_overfitting(rng.normal(0, 0.01, (800, 30)), 8)["pbo"] for _ in range(20)]
    assert 0.35 < np.mean(noise) < 0.65
    skill = rng.normal(0, 0.01, (800, 30))
    skill[:, 7] += 0.004
    result = probability_of_backtest_overfitting(skill, 16)
    assert result["n_combinations"] == math.comb(16, 8)
    assert result["pbo"] == 0.0


def test_pbo_refuses_too_little_data():
    with pytest.raises(ValueError, match="needs at least 32 returns"):
        probability_of_backtest_overfitting(np.zeros((20, 3)), 16)
    with pytest.raises(ValueError, match="at least two trials"):
        probability_of_backtest_overfitting(np.zeros((100, 1)))


def test_the_plateau_check_measures_the_drop_around_the_winner():
    flat = plateau_check(1.0, [0.95, 0.9, 1.0])
    assert flat["plateau"] is True and flat["drop"] == pytest.approx(0.05)
    peak = plateau_check(1.0, [0.2, 0.3, None])
    assert peak["plateau"] is False and peak["worst_drop"] == pytest.approx(0.8) and peak["neighbours"] == 2
    assert plateau_check(1.0, [])["plateau"] is None


def test_nearest_trials_scale_each_parameter_by_its_range():
    points = [{"a": 0, "b": 0}, {"a": 1, "b": 100}, {"a": 0.1, "b": 90}, {"a": 0.5, "b": 0}]
    assert nearest_trials(points, 0, k=2) == [3, 2]


@pytest.mark.parametrize(
    "dsr, pbo, plateau, verdict",
    [
        (0.99, 0.05, True, "robust"),
        (0.99, 0.05, False, "inconclusive"),
        (0.80, 0.30, True, "inconclusive"),
        (0.99, 0.70, True, "likely_overfit"),
        (0.20, 0.10, True, "likely_overfit"),
    ],
)
def test_the_verdict_combines_the_three_checks(dsr, pbo, plateau, verdict):
    result = audit_verdict(dsr, pbo, plateau)
    assert result["verdict"] == verdict
    assert len(result["reasons"]) == 3
