"""Technical indicators as pure, causal functions.

Every function accepts a pandas ``Series`` or anything ``numpy.asarray`` understands and returns the
same kind: a ``Series`` with the input's index, or a float64 ``ndarray``. Values that do not exist
yet (the warm-up) are ``NaN``. Bar ``t`` of every output depends only on inputs at bars ``≤ t``
(causal), so computing over a whole history up front never leaks future data into past values.

Rolling windows (SMA, rolling std/min/max) are evaluated window by window, so a value depends only on
the bars inside its window — not on where the series starts — which keeps a live run that loads a
shorter history in agreement with a backtest. Recursive indicators (EMA, Wilder averages) depend on
their seed and therefore on the start of the series, as in every implementation.

Definitions follow the original authors; where the independent ``ta`` library differs this is stated
in the function's docstring and exercised in ``tests/engine/test_indicators.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

TRADING_DAYS_PER_YEAR = 252
_FLAT_STD_RTOL = 1e-12

__all__ = [
    "TRADING_DAYS_PER_YEAR",
    "adx",
    "atr",
    "bollinger",
    "ema",
    "log_returns",
    "macd",
    "obv",
    "realized_vol",
    "rsi",
    "sma",
    "stochastic",
    "vol_zscore",
    "zscore",
]


# --------------------------------------------------------------------------- helpers


def _arr(values: Any) -> np.ndarray:
    return np.asarray(values.to_numpy(dtype=float) if isinstance(values, pd.Series) else values, dtype=float)


def _like(template: Any, out: np.ndarray, name: str) -> Any:
    if isinstance(template, pd.Series):
        return pd.Series(out, index=template.index, name=name)
    return out


def _check_window(window: int, name: str = "window") -> None:
    if not isinstance(window, int | np.integer) or isinstance(window, bool) or window < 1:
        raise ValueError(f"{name} must be a positive integer, got {window!r}")


def _rolling(x: np.ndarray, window: int, reducer: str, **kwargs: Any) -> np.ndarray:
    """Apply ``reducer`` (a numpy method name) to each full window ending at every bar."""
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] >= window:
        view = sliding_window_view(x, window)
        out[window - 1 :] = getattr(view, reducer)(axis=1, **kwargs)
    return out


def _ewm(x: np.ndarray, alpha: float) -> np.ndarray:
    """Recursive average y_0 = x_0, y_t = (1 − alpha)·y_{t−1} + alpha·x_t (NaN-free input)."""
    if x.shape[0] == 0:
        return x.copy()
    return pd.Series(x).ewm(alpha=alpha, adjust=False).mean().to_numpy()


def _wilder(x: np.ndarray, window: int, first: int) -> np.ndarray:
    """Wilder's running average: seed = mean of ``x[first−window+1 … first]``, then
    avg_t = (avg_{t−1}·(window − 1) + x_t) / window. NaN before ``first``."""
    out = np.full(x.shape[0], np.nan)
    if first >= x.shape[0] or first - window + 1 < 0:
        return out
    seed = x[first - window + 1 : first + 1].mean()
    out[first:] = _ewm(np.concatenate(([seed], x[first + 1 :])), 1.0 / window)
    return out


def _true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    prev_close = np.concatenate(([np.nan], close[:-1]))
    tr = np.fmax(high - low, np.fmax(np.abs(high - prev_close), np.abs(low - prev_close)))
    if tr.shape[0]:
        tr[0] = high[0] - low[0]
    return tr


# --------------------------------------------------------------------------- moving averages


def sma(values: Any, window: int) -> Any:
    """Simple moving average: SMA_t = (x_{t−window+1} + … + x_t) / window.

    Warm-up: ``window − 1`` bars (first value at index ``window − 1``).
    """
    _check_window(window)
    return _like(values, _rolling(_arr(values), window, "mean"), f"sma_{window}")


def ema(values: Any, span: int) -> Any:
    """Exponential moving average with alpha = 2 / (span + 1), pandas ``adjust=False``.

    EMA_0 = x_0 (the first non-NaN input), EMA_t = alpha·x_t + (1 − alpha)·EMA_{t−1}. The recursion
    starts at the first value but the first ``span − 1`` outputs are reported as NaN (warm-up
    ``span − 1`` bars), as ``ta`` does. Leading NaNs in the input are skipped (the seed is the first
    valid value), which is what MACD's signal line needs.
    """
    _check_window(span, "span")
    x = _arr(values)
    out = np.full(x.shape[0], np.nan)
    valid = np.flatnonzero(~np.isnan(x))
    if valid.size:
        first = int(valid[0])
        out[first:] = pd.Series(x[first:]).ewm(span=span, adjust=False, min_periods=span).mean().to_numpy()
    return _like(values, out, f"ema_{span}")


# --------------------------------------------------------------------------- momentum


def rsi(close: Any, window: int = 14) -> Any:
    """Relative Strength Index with Wilder smoothing (Wilder 1978).

    Changes d_t = c_t − c_{t−1}; gain = max(d, 0), loss = max(−d, 0). The first average gain/loss
    (at bar ``window``) is the simple mean of the first ``window`` changes; afterwards
    avg_t = (avg_{t−1}·(window − 1) + x_t) / window. RSI = 100 − 100 / (1 + avg_gain / avg_loss);
    100 when avg_loss = 0 (50 when both are 0). Warm-up: ``window`` bars.

    Differs from ``ta``: ``ta`` seeds the recursion at bar 0 with a zero change instead of the simple
    mean; the difference decays by (window − 1)/window per bar and vanishes after a few hundred bars.
    """
    _check_window(window)
    c = _arr(close)
    d = np.diff(c, prepend=np.nan)
    gain = np.where(d > 0, d, 0.0)
    loss = np.where(d < 0, -d, 0.0)
    avg_gain = _wilder(gain, window, window)
    avg_loss = _wilder(loss, window, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    out = np.where(avg_loss == 0, np.where(avg_gain == 0, 50.0, 100.0), out)
    out[np.isnan(avg_gain)] = np.nan
    return _like(close, out, f"rsi_{window}")


def macd(close: Any, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[Any, Any, Any]:
    """MACD (Appel): line = EMA(close, fast) − EMA(close, slow); signal = EMA(line, signal);
    histogram = line − signal. EMAs as in :func:`ema`.

    Warm-up: line ``slow − 1`` bars, signal and histogram ``slow + signal − 2`` bars.
    """
    line = _arr(ema(_arr(close), fast)) - _arr(ema(_arr(close), slow))
    sig = _arr(ema(line, signal))
    return (
        _like(close, line, "macd"),
        _like(close, sig, "macd_signal"),
        _like(close, line - sig, "macd_hist"),
    )


def stochastic(high: Any, low: Any, close: Any, window: int = 14, smooth: int = 3) -> tuple[Any, Any]:
    """Stochastic oscillator (Lane), fast form: %K = 100·(c_t − LL) / (HH − LL) where LL/HH are the
    lowest low / highest high of the last ``window`` bars; %D = SMA(%K, smooth).

    Warm-up: %K ``window − 1`` bars, %D ``window + smooth − 2`` bars. When HH = LL (a flat window)
    %K is 50 (``ta`` returns NaN there).
    """
    _check_window(window)
    _check_window(smooth, "smooth")
    h, lo, c = _arr(high), _arr(low), _arr(close)
    ll = _rolling(lo, window, "min")
    hh = _rolling(h, window, "max")
    rng = hh - ll
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(rng > 0, 100.0 * (c - ll) / rng, 50.0)
    k[np.isnan(rng)] = np.nan
    d = _rolling(k, smooth, "mean")
    return _like(close, k, f"stoch_k_{window}"), _like(close, d, f"stoch_d_{smooth}")


# --------------------------------------------------------------------------- volatility


def bollinger(close: Any, window: int = 20, num_std: float = 2.0) -> tuple[Any, Any, Any]:
    """Bollinger bands: middle = SMA(close, window); upper/lower = middle ± num_std·σ, where σ is the
    population standard deviation (ddof = 0) of the same window, as Bollinger defines it.

    Returns (middle, upper, lower). Warm-up: ``window − 1`` bars.
    """
    _check_window(window)
    c = _arr(close)
    mid = _rolling(c, window, "mean")
    sd = _rolling(c, window, "std", ddof=0)
    return (
        _like(close, mid, "bb_middle"),
        _like(close, mid + num_std * sd, "bb_upper"),
        _like(close, mid - num_std * sd, "bb_lower"),
    )


def atr(high: Any, low: Any, close: Any, window: int = 14) -> Any:
    """Average True Range (Wilder). TR_0 = h_0 − l_0; TR_t = max(h − l, |h − c_{t−1}|, |l − c_{t−1}|).
    ATR_{window−1} = mean(TR_0 … TR_{window−1}); ATR_t = (ATR_{t−1}·(window − 1) + TR_t) / window.

    Warm-up: ``window − 1`` bars.
    """
    _check_window(window)
    tr = _true_range(_arr(high), _arr(low), _arr(close))
    return _like(close, _wilder(tr, window, window - 1), f"atr_{window}")


def log_returns(close: Any) -> Any:
    """Log returns r_t = ln(c_t / c_{t−1}); NaN at bar 0."""
    c = _arr(close)
    out = np.full(c.shape[0], np.nan)
    if c.shape[0] > 1:
        out[1:] = np.log(c[1:] / c[:-1])
    return _like(close, out, "log_return")


def realized_vol(close: Any, window: int = 21) -> Any:
    """Annualised realised volatility: σ_t = sample std (ddof = 1) of the last ``window`` log returns
    × √252.

    Warm-up: ``window`` bars (``window + 1`` closes give ``window`` returns).
    """
    _check_window(window)
    if window < 2:
        raise ValueError("realized_vol needs window ≥ 2 (sample standard deviation)")
    r = _arr(log_returns(_arr(close)))
    out = _rolling(r, window, "std", ddof=1) * math.sqrt(TRADING_DAYS_PER_YEAR)
    return _like(close, out, f"realized_vol_{window}")


def zscore(values: Any, window: int) -> Any:
    """Rolling z-score: z_t = (x_t − mean) / std over the last ``window`` values including x_t,
    with the sample std (ddof = 1). z = 0 when the window is flat (std ≤ 1e-12·|mean|, which absorbs
    rounding noise of a constant window). NaN while the window holds a NaN.

    Warm-up: ``window − 1`` bars after the first valid input.
    """
    _check_window(window)
    if window < 2:
        raise ValueError("zscore needs window ≥ 2 (sample standard deviation)")
    x = _arr(values)
    mean = _rolling(x, window, "mean")
    sd = _rolling(x, window, "std", ddof=1)
    flat = sd <= _FLAT_STD_RTOL * np.abs(mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(flat, 0.0, (x - mean) / sd)
    out[np.isnan(sd)] = np.nan
    return _like(values, out, f"zscore_{window}")


def vol_zscore(close: Any, vol_window: int = 21, baseline_window: int = 200) -> Any:
    """Volatility z-score: :func:`zscore` of :func:`realized_vol` (``vol_window``) over the last
    ``baseline_window`` volatility values.

    Warm-up: ``vol_window + baseline_window − 1`` bars (221 closes for 21/200).
    """
    out = _arr(zscore(_arr(realized_vol(_arr(close), vol_window)), baseline_window))
    return _like(close, out, f"vol_zscore_{vol_window}_{baseline_window}")


# --------------------------------------------------------------------------- volume and trend strength


def obv(close: Any, volume: Any) -> Any:
    """On-Balance Volume (Granville): OBV_0 = 0; OBV_t = OBV_{t−1} + v_t if c_t > c_{t−1},
    − v_t if c_t < c_{t−1}, unchanged if equal. No warm-up.

    Differs from ``ta``: ``ta`` starts at v_0 and adds the volume of unchanged-close bars.
    """
    c, v = _arr(close), _arr(volume)
    step = np.zeros(c.shape[0])
    if c.shape[0] > 1:
        step[1:] = np.sign(c[1:] - c[:-1]) * v[1:]
    return _like(close, np.cumsum(step), "obv")


def adx(high: Any, low: Any, close: Any, window: int = 14) -> tuple[Any, Any, Any]:
    """Average Directional Index with +DI and −DI (Wilder 1978).

    up = h_t − h_{t−1}, down = l_{t−1} − l_t; +DM = up if up > down and up > 0 else 0; −DM likewise.
    TR as in :func:`atr` (from bar 1). Wilder averages of TR, +DM, −DM seeded with the mean of bars
    1…window; +DI = 100·avg(+DM)/avg(TR), −DI = 100·avg(−DM)/avg(TR);
    DX = 100·|+DI − −DI| / (+DI + −DI) (0 when both are 0); ADX_{2·window−1} = mean(DX over bars
    window … 2·window−1), then Wilder-averaged.

    Returns (adx, plus_di, minus_di). Warm-up: DI ``window`` bars, ADX ``2·window − 1`` bars.
    (``ta`` computes the same values but leaves its final bar at 0 by an off-by-one.)
    """
    _check_window(window)
    h, lo, c = _arr(high), _arr(low), _arr(close)
    n = c.shape[0]
    tr = _true_range(h, lo, c)
    up = np.diff(h, prepend=np.nan)
    down = -np.diff(lo, prepend=np.nan)
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    atr_w = _wilder(tr, window, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        plus_di = np.where(atr_w > 0, 100.0 * _wilder(plus_dm, window, window) / atr_w, 0.0)
        minus_di = np.where(atr_w > 0, 100.0 * _wilder(minus_dm, window, window) / atr_w, 0.0)
        total = plus_di + minus_di
        dx = np.where(total > 0, 100.0 * np.abs(plus_di - minus_di) / total, 0.0)
    plus_di[np.isnan(atr_w)] = np.nan
    minus_di[np.isnan(atr_w)] = np.nan
    dx[np.isnan(atr_w)] = np.nan
    out = np.full(n, np.nan)
    first = 2 * window - 1
    if n > first:
        out = _wilder(np.nan_to_num(dx), window, first)
    return _like(close, out, f"adx_{window}"), _like(close, plus_di, "plus_di"), _like(close, minus_di, "minus_di")
