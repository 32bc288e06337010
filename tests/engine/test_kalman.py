"""Adaptive Kalman filter: hand-computed steps per noise model and the trend-strength oscillator."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.engine.kalman import AdaptiveKalmanFilter


def reference_step(x, p, close, r, q1, q2):
    """The spec's matrix equations with numpy (an independent implementation of one update)."""
    f = np.array([[1.0, 1.0], [0.0, 1.0]])
    h = np.array([[1.0, 0.0]])
    x_pred = f @ x
    p_pred = f @ p @ f.T + np.diag([q1, q2])
    s = (h @ p_pred @ h.T)[0, 0] + r
    k = (p_pred @ h.T) / s
    innovation = close - (h @ x_pred)[0]
    return x_pred + k[:, 0] * innovation, (np.eye(2) - k @ h) @ p_pred, innovation


def test_first_bar_sets_position_to_close_with_zero_velocity_and_zero_strength():
    kf = AdaptiveKalmanFilter(model="standard")
    assert kf.update(101.5) == 0.0
    assert (kf.position, kf.velocity) == (101.5, 0.0)
    assert (kf.p00, kf.p01, kf.p10, kf.p11) == (1.0, 0.0, 0.0, 1.0)


def test_standard_model_second_bar_matches_the_hand_computation():
    kf = AdaptiveKalmanFilter(model="standard", measurement_noise=1.0, process_noise_1=0.01, process_noise_2=0.01)
    kf.update(10.0)
    kf.update(12.0)
    # P⁻ = F·I·Fᵀ + Q = [[2.01, 1], [1, 1.01]]; S = 3.01; K = [2.01/3.01, 1/3.01]; innovation 2
    assert kf.last_step.innovation == 2.0
    assert kf.last_step.measurement_noise == 1.0
    assert kf.position == pytest.approx(10 + 2 * 2.01 / 3.01, rel=1e-15)
    assert kf.velocity == pytest.approx(2 / 3.01, rel=1e-15)
    assert kf.p00 == pytest.approx(2.01 / 3.01, rel=1e-15)
    assert kf.p01 == pytest.approx(1 / 3.01, rel=1e-15)
    assert kf.p10 == pytest.approx(1 / 3.01, rel=1e-15)
    assert kf.p11 == pytest.approx(1.01 - 1 / 3.01, rel=1e-15)


@pytest.mark.parametrize(
    ("model", "symmetric", "expected_r"),
    [
        ("standard", True, [50.0, 50.0, 50.0, 50.0]),
        # prev/vol: 100/200, 200/50, current volume 0 → base, then a known previous volume of 0 → 0/80
        ("volume_adjusted", True, [25.0, 200.0, 50.0, 0.0]),
        # prev/max(prev, vol): 100/200, 200/200, current volume 0 → base, 0/max(0, 80)
        ("volume_adjusted", False, [25.0, 50.0, 50.0, 0.0]),
    ],
)
def test_volume_models_scale_the_measurement_noise(model, symmetric, expected_r):
    kf = AdaptiveKalmanFilter(model=model, symmetric_volume_adjustment=symmetric, measurement_noise=50.0)
    kf.update(10.0, volume=100.0)
    seen = []
    for close, volume in ((10.5, 200.0), (10.2, 50.0), (10.4, 0.0), (10.6, 80.0)):
        kf.update(close, volume=volume)
        seen.append(kf.last_step.measurement_noise)
    assert seen == expected_r


def test_volume_model_uses_the_base_noise_when_volume_is_unknown():
    kf = AdaptiveKalmanFilter(model="volume_adjusted", measurement_noise=50.0)
    kf.update(10.0, volume=100.0)
    kf.update(10.5, volume=float("nan"))
    assert kf.last_step.measurement_noise == 50.0


def test_parkinson_model_scales_by_range_over_previous_range_floored_at_a_micro():
    kf = AdaptiveKalmanFilter(model="parkinson_adjusted", measurement_noise=10.0)
    kf.update(10.0, high=11.0, low=9.0)  # range 2
    kf.update(10.0, high=10.5, low=9.5)  # range 1 → R = 10·(1 + 1/2)
    assert kf.last_step.measurement_noise == 15.0
    kf.update(10.0, high=10.0, low=10.0)  # range floored at 1e-6 → R = 10·(1 + 1e-6/1)
    assert kf.last_step.measurement_noise == pytest.approx(10.0 * (1 + 1e-6), rel=1e-15)
    kf.update(10.0, high=10.5, low=9.5)  # previous range is the floor → huge noise
    assert kf.last_step.measurement_noise == pytest.approx(10.0 * (1 + 1 / 1e-6), rel=1e-12)


@pytest.mark.parametrize("model", ["standard", "volume_adjusted", "parkinson_adjusted"])
def test_every_model_follows_the_matrix_equations_over_many_bars(model):
    rng = np.random.default_rng(3)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))
    highs, lows = closes * 1.01, closes * 0.985
    volumes = rng.integers(1000, 5000, 60).astype(float)
    kf = AdaptiveKalmanFilter(model=model, measurement_noise=7.0, process_noise_1=0.02, process_noise_2=0.005)
    kf.update(closes[0], highs[0], lows[0], volumes[0])
    x, p = np.array([closes[0], 0.0]), np.eye(2)
    for t in range(1, 60):
        if model == "standard":
            r = 7.0
        elif model == "volume_adjusted":
            r = 7.0 * volumes[t - 1] / volumes[t]
        else:
            r = 7.0 * (1 + (highs[t] - lows[t]) / (highs[t - 1] - lows[t - 1]))
        x, p, innovation = reference_step(x, p, closes[t], r, 0.02, 0.005)
        kf.update(closes[t], highs[t], lows[t], volumes[t])
        assert kf.last_step.measurement_noise == pytest.approx(r, rel=1e-12)
        assert kf.last_step.innovation == pytest.approx(innovation, rel=1e-9, abs=1e-12)
        assert (kf.position, kf.velocity) == pytest.approx(tuple(x), rel=1e-12)
        assert np.allclose([[kf.p00, kf.p01], [kf.p10, kf.p11]], p, rtol=1e-12, atol=0)


def wma(values):
    n = len(values)
    return sum((i + 1) * v for i, v in enumerate(values)) / (n * (n + 1) / 2)


def test_oscillator_divides_by_the_largest_recent_innovation_and_smooths_with_a_wma():
    kf = AdaptiveKalmanFilter(
        model="standard", measurement_noise=1.0, strength_smoothness=2, osc_smoothness=3, sigma_lookback=4
    )
    closes = [10, 11, 10.5, 12, 11, 13, 12.5, 12, 14, 13.5]
    kf.update(closes[0])
    innovations, oscillators, strengths = [], [], []
    for close in closes[1:]:
        strengths.append(kf.update(close))
        innovations.append(kf.last_step.innovation)
        oscillators.append(kf.last_step.oscillator)
    # the |innovation| buffer needs 2 values before an oscillator exists
    assert oscillators[0] is None
    for i in range(1, len(innovations)):
        window = [abs(v) for v in innovations[max(0, i - 3) : i + 1]]
        assert oscillators[i] == pytest.approx(innovations[i] / max(window) * 100, rel=1e-12)
    # 3 oscillators are needed for the first WMA: strength is 0 before that
    assert strengths[:3] == [0.0, 0.0, 0.0]
    for i in range(3, len(innovations)):
        assert strengths[i] == pytest.approx(wma(oscillators[i - 2 : i + 1]), rel=1e-12)
    assert all(-100 <= s <= 100 for s in strengths)


def test_double_smoothing_applies_a_second_wma_once_enough_first_pass_values_exist():
    def run(double):
        kf = AdaptiveKalmanFilter(
            model="standard", measurement_noise=1.0, strength_smoothness=2, osc_smoothness=2, double_smoothing=double
        )
        out = []
        for close in [10, 11, 10.5, 12, 11, 13, 12.5]:
            out.append(kf.update(close))
        return out

    single, double = run(False), run(True)
    first_strength = single.index(next(s for s in single if s != 0.0))
    # the first first-pass value is used as is; afterwards a WMA over the last two first-pass values
    assert double[first_strength] == single[first_strength]
    for i in range(first_strength + 1, len(single)):
        assert double[i] == pytest.approx(wma(single[i - 1 : i + 1]), rel=1e-12)


def test_t_norm_is_strength_over_t_max_clamped_to_plus_minus_one():
    kf = AdaptiveKalmanFilter()
    kf.strength = 80.0
    assert kf.t_norm(50.0) == 1.0
    kf.strength = -20.0
    assert kf.t_norm(50.0) == -0.4
    kf.strength = -70.0
    assert kf.t_norm(50.0) == -1.0


def test_unknown_model_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="standard, volume_adjusted, parkinson_adjusted"):
        AdaptiveKalmanFilter(model="fancy")
