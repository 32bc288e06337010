"""Adaptive Kalman trend filter and its trend-strength oscillator (one instance per symbol).

State x = [position, velocity], F = [[1, 1], [0, 1]], H = [1, 0], Q = diag(q1, q2), P₀ = I.
The first bar sets position = close, velocity = 0 and returns strength 0. Every later bar:

    predict   x⁻ = F x,  P⁻ = F P Fᵀ + Q
    noise     R from the model (below)
    update    S = H P⁻ Hᵀ + R,  K = P⁻ Hᵀ / S,  innovation = close − H x⁻,
              x = x⁻ + K·innovation,  P = (I − K H) P⁻

R models (base = measurement_noise):
    standard             R = base
    volume_adjusted      when both volumes are known and volume > 0: R = base·ratio with
                         ratio = prev_volume / volume (symmetric) or prev_volume / max(prev_volume, volume)
    parkinson_adjusted   R = base·(1 + range / prev_range), range = high − low floored at 1e-6

Trend strength: |innovation| goes into a buffer of the last ``sigma_lookback`` values; once it holds
≥ ``strength_smoothness`` values, oscillator = innovation / max(buffer) × 100 (0 if that max is 0) goes
into a buffer of the last ``trend_lookback`` oscillators; once that holds ≥ n = min(osc_smoothness,
trend_lookback) values, strength = WMA of the last n oscillators, weights 1…n (newest heaviest).
With double smoothing, a second WMA over the last ``strength_smoothness`` first-pass values (the first
pass until that many exist). Strength is 0 before enough data and lies in [−100, 100] because each
oscillator does (the current |innovation| is in the buffer it is divided by).

Cost per bar is O(1) in the length of history: 2×2 algebra is unrolled in plain floats, the running
maximum uses a monotonic deque, the WMAs cover fixed short windows.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

MODELS = ("standard", "volume_adjusted", "parkinson_adjusted")
_MIN_RANGE = 1e-6


@dataclass(frozen=True)
class KalmanStep:
    """What one bar did to the filter (for inspection and tests)."""

    position: float
    velocity: float
    innovation: float
    measurement_noise: float
    gain: tuple[float, float]
    oscillator: float | None
    strength: float


def _wma(values: deque[float] | list[float], n: int) -> float:
    """Weighted mean of the last ``n`` values with weights 1…n (newest heaviest)."""
    start = len(values) - n
    num = 0.0
    for i in range(n):
        num += (i + 1) * values[start + i]
    return num / (n * (n + 1) / 2)


class AdaptiveKalmanFilter:
    """Stateful filter; feed bars in date order with :meth:`update`, which returns the signed strength."""

    def __init__(
        self,
        *,
        measurement_noise: float = 3000.0,
        process_noise_1: float = 0.01,
        process_noise_2: float = 0.01,
        model: str = "volume_adjusted",
        symmetric_volume_adjustment: bool = True,
        osc_smoothness: int = 15,
        strength_smoothness: int = 15,
        sigma_lookback: int = 500,
        trend_lookback: int = 20,
        double_smoothing: bool = False,
    ) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown Kalman noise model {model!r}; choose one of {', '.join(MODELS)}")
        for name, value in (
            ("osc_smoothness", osc_smoothness),
            ("strength_smoothness", strength_smoothness),
            ("sigma_lookback", sigma_lookback),
            ("trend_lookback", trend_lookback),
        ):
            if value < 1:
                raise ValueError(f"{name} must be ≥ 1, got {value}")
        self.base_noise = float(measurement_noise)
        self.q1 = float(process_noise_1)
        self.q2 = float(process_noise_2)
        self.model = model
        self.symmetric = bool(symmetric_volume_adjustment)
        self.strength_smoothness = int(strength_smoothness)
        self.osc_n = min(int(osc_smoothness), int(trend_lookback))
        self.sigma_lookback = int(sigma_lookback)
        self.double_smoothing = bool(double_smoothing)
        # state
        self.bars = 0
        self.position = 0.0
        self.velocity = 0.0
        self.p00, self.p01, self.p10, self.p11 = 1.0, 0.0, 0.0, 1.0
        self.prev_volume: float | None = None
        self.prev_range: float | None = None
        self._abs_innov_count = 0
        self._max_deque: deque[tuple[int, float]] = deque()  # (bar number, |innovation|), decreasing values
        self._osc: deque[float] = deque(maxlen=int(trend_lookback))
        self._first_pass: deque[float] = deque(maxlen=self.strength_smoothness)
        self.strength = 0.0
        self.last_step: KalmanStep | None = None

    # ------------------------------------------------------------------ noise models
    def _noise(self, high: float, low: float, volume: float | None) -> float:
        base = self.base_noise
        if self.model == "volume_adjusted":
            prev = self.prev_volume
            if prev is not None and volume is not None and volume > 0:
                ratio = prev / volume if self.symmetric else prev / max(prev, volume)
                return base * ratio
            return base
        if self.model == "parkinson_adjusted":
            rng = max(high - low, _MIN_RANGE)
            if self.prev_range is None:
                return base
            return base * (1.0 + rng / self.prev_range)
        return base

    # ------------------------------------------------------------------ one bar
    def update(
        self, close: float, high: float | None = None, low: float | None = None, volume: float | None = None
    ) -> float:
        """Feed one bar; returns the trend strength in [−100, 100] after it.

        ``high``/``low`` default to ``close`` (only the Parkinson model uses them); ``volume`` may be
        ``None`` or NaN when unknown (the volume model then uses the base noise).
        """
        high = close if high is None else high
        low = close if low is None else low
        if volume is not None and math.isnan(volume):
            volume = None
        self.bars += 1
        if self.bars == 1:
            self.position, self.velocity = float(close), 0.0
            self._remember(high, low, volume)
            self.strength = 0.0
            self.last_step = KalmanStep(self.position, 0.0, 0.0, self.base_noise, (0.0, 0.0), None, 0.0)
            return 0.0

        # predict
        pos_pred = self.position + self.velocity
        vel_pred = self.velocity
        p00, p01, p10, p11 = self.p00, self.p01, self.p10, self.p11
        a00 = p00 + p10 + p01 + p11 + self.q1
        a01 = p01 + p11
        a10 = p10 + p11
        a11 = p11 + self.q2
        # update
        r = self._noise(high, low, volume)
        s = a00 + r
        k0 = a00 / s
        k1 = a10 / s
        innovation = close - pos_pred
        self.position = pos_pred + k0 * innovation
        self.velocity = vel_pred + k1 * innovation
        self.p00 = (1.0 - k0) * a00
        self.p01 = (1.0 - k0) * a01
        self.p10 = a10 - k1 * a00
        self.p11 = a11 - k1 * a01
        self._remember(high, low, volume)

        osc = self._oscillate(innovation)
        self.last_step = KalmanStep(self.position, self.velocity, innovation, r, (k0, k1), osc, self.strength)
        return self.strength

    def _remember(self, high: float, low: float, volume: float | None) -> None:
        self.prev_volume = volume
        self.prev_range = max(high - low, _MIN_RANGE)

    def _oscillate(self, innovation: float) -> float | None:
        # sliding maximum of |innovation| over the last sigma_lookback values
        n = self._abs_innov_count
        value = abs(innovation)
        dq = self._max_deque
        while dq and dq[-1][1] <= value:
            dq.pop()
        dq.append((n, value))
        if dq[0][0] <= n - self.sigma_lookback:
            dq.popleft()
        self._abs_innov_count = n + 1
        if min(self._abs_innov_count, self.sigma_lookback) < self.strength_smoothness:
            return None
        peak = dq[0][1]
        osc = innovation / peak * 100.0 if peak > 0 else 0.0
        self._osc.append(osc)
        if len(self._osc) < self.osc_n:
            return osc
        first = _wma(self._osc, self.osc_n)
        if self.double_smoothing:
            self._first_pass.append(first)
            if len(self._first_pass) >= self.strength_smoothness:
                first = _wma(self._first_pass, self.strength_smoothness)
        self.strength = first
        return osc

    def t_norm(self, t_max: float) -> float:
        """Normalised strength: clamp(strength / t_max, −1, 1)."""
        return max(-1.0, min(1.0, self.strength / t_max))


def kalman_strength(
    close: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    volume: np.ndarray,
    measurement_noise: float = 3000.0,
    process_noise_1: float = 0.01,
    process_noise_2: float = 0.01,
    model: str = "volume_adjusted",
    symmetric_volume_adjustment: bool = True,
    osc_smoothness: int = 15,
    strength_smoothness: int = 15,
    sigma_lookback: int = 500,
    trend_lookback: int = 20,
    double_smoothing: bool = False,
) -> np.ndarray:
    """Trend strength after every bar of one symbol's history: a fresh :class:`AdaptiveKalmanFilter` fed the
    bars in order (causal — value ``t`` depends on bars ≤ ``t`` only). As a feed indicator it is computed once
    per symbol and parameter set and shared by every run over the same bars (a parameter grid)."""
    kalman = AdaptiveKalmanFilter(
        measurement_noise=measurement_noise,
        process_noise_1=process_noise_1,
        process_noise_2=process_noise_2,
        model=model,
        symmetric_volume_adjustment=symmetric_volume_adjustment,
        osc_smoothness=osc_smoothness,
        strength_smoothness=strength_smoothness,
        sigma_lookback=sigma_lookback,
        trend_lookback=trend_lookback,
        double_smoothing=double_smoothing,
    )
    update = kalman.update
    rows = zip(
        np.asarray(close).tolist(),
        np.asarray(high).tolist(),
        np.asarray(low).tolist(),
        np.asarray(volume).tolist(),
        strict=True,
    )
    return np.array([update(c, h, lo, v) for c, h, lo, v in rows], dtype=float)
