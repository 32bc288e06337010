"""Deterministic synthetic daily bars for demos, tests and benchmarks — NOT real prices.

Pure module: numpy and pandas only (the NYSE calendar is imported lazily, and only when no
``sessions`` are given), so engine benchmarks can call it without Django.

Model (all vectorised; the only Python loops run once per regime segment):

* **QQQ-like index**: daily simple return ``r = μ_regime/252 + σ_t·z`` with fat-tailed shocks
  (Student t, 5 d.o.f., scaled to unit variance). A Markov chain of regimes — bull (+20 %/yr,
  15 % vol, ~1 year), sideways (+3 %/yr, 19 % vol, ~5 months), bear (−35 %/yr, 35 % vol,
  ~3 months) — sets drift and base volatility (smoothed over ~10 days); a log-volatility AR(1)
  (φ = 0.97) multiplies σ and produces volatility clusters.
* **TLT-like bonds**: their own process — a slow two-state rate regime (normal +4 %/yr, rising
  rates −10 %/yr), 14 % vol with its own clusters, and shocks correlated with the index at
  ρ = 0 / −0.2 / −0.5 in bull / sideways / bear (flight to quality), plus +6 %/yr drift in bears.
* **Leveraged / inverse ETFs** from the daily returns of their underlying, like the real funds'
  daily reset: ``r_L = L·r − fee/252`` with TQQQ 3×, SQQQ −3×, PSQ −1× (of QQQ) and TMF 3×,
  TMV −3× (of TLT). Their open/high/low map the underlying's intraday factors through the same
  leverage (high and low swap for inverse funds).
* **OHLC**: open = previous close × (1 + gap), gap ~ N(0, 0.3σ); high/low extend max/min(open,
  close) by |N(0, 0.5σ)|; so low ≤ min(open, close) ≤ max(open, close) ≤ high always holds, and
  every price is > 0. Prices are not rounded (storage quantises them to 6 decimals); an inverse
  leveraged fund decays towards zero over decades exactly like the real ones before their reverse
  splits, so a 25-year SQQQ ends at tiny prices. Volume is a positive whole number that rises with
  |return| and volatility.

Determinism: the output is a function of ``(start, seed)`` and the trading dates only. Each random
stream is spawned from ``seed`` by index, so the bars of one symbol do not depend on which other
symbols were requested, and extending ``end`` leaves earlier bars unchanged (prefix-stable).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

COLUMNS = ("open", "high", "low", "close", "volume")
BASE_SYMBOLS = ("QQQ", "TLT")
#: symbol → (underlying, daily leverage, annual expense ratio)
DERIVED = {
    "TQQQ": ("QQQ", 3.0, 0.0086),
    "SQQQ": ("QQQ", -3.0, 0.0095),
    "PSQ": ("QQQ", -1.0, 0.0095),
    "TMF": ("TLT", 3.0, 0.0106),
    "TMV": ("TLT", -3.0, 0.0095),
}
SYNTHETIC_SYMBOLS = ("QQQ", "TQQQ", "SQQQ", "PSQ", "TLT", "TMF", "TMV")
BASE_PRICE = {"QQQ": 100.0, "TLT": 90.0, "TQQQ": 40.0, "SQQQ": 400.0, "PSQ": 60.0, "TMF": 30.0, "TMV": 300.0}
BASE_VOLUME = {
    "QQQ": 40e6, "TQQQ": 60e6, "SQQQ": 50e6, "PSQ": 3e6, "TLT": 15e6, "TMF": 5e6, "TMV": 1.5e6,
}  # fmt: skip

# Index regimes: 0 bull, 1 sideways, 2 bear.
REGIME_NAMES = ("bull", "sideways", "bear")
REGIME_DRIFT = np.array([0.20, 0.03, -0.35])
REGIME_VOL = np.array([0.15, 0.19, 0.35])
REGIME_MEAN_DAYS = np.array([260.0, 110.0, 65.0])
REGIME_NEXT = np.array([[0.0, 0.65, 0.35], [0.6, 0.0, 0.4], [0.55, 0.45, 0.0]])
BOND_CORRELATION = np.array([0.0, -0.2, -0.5])
BOND_STRESS_DRIFT = np.array([0.0, 0.0, 0.06])
# Bond rate regimes: 0 normal, 1 rising rates.
RATE_DRIFT = np.array([0.04, -0.10])
RATE_MEAN_DAYS = np.array([500.0, 180.0])
BOND_VOL = 0.14
LOGVOL_PHI, LOGVOL_SIGMA = 0.97, 0.08
T_DOF = 5

# Independent random streams, spawned from the seed by position (never reorder; append only).
(_S_REGIME, _S_EQ_SHOCK, _S_EQ_LOGVOL, _S_RATE, _S_BOND_SHOCK, _S_BOND_LOGVOL, _S_EQ_BAR, _S_BOND_BAR) = range(8)
_S_VOLUME = {symbol: 8 + position for position, symbol in enumerate(SYNTHETIC_SYMBOLS)}
_STREAM_COUNT = 8 + len(SYNTHETIC_SYMBOLS)


def generate_synthetic_bars(
    symbols: Iterable[str],
    start: date | datetime | str,
    end: date | datetime | str,
    *,
    seed: int = 42,
    sessions: Sequence[date] | None = None,
) -> dict[str, pd.DataFrame]:
    """Synthetic daily bars of ``symbols`` for the NYSE sessions in ``[start, end]``.

    :param symbols: any of ``SYNTHETIC_SYMBOLS`` (case-insensitive); others raise ``ValueError``.
    :param start, end: first and last date, inclusive (``date``, ``datetime`` or ISO text).
    :param seed: the random seed; same arguments → identical frames.
    :param sessions: trading dates to use instead of the NYSE calendar (filtered to the range).
    :returns: ``{symbol: DataFrame}`` with float64 columns open, high, low, close, volume and an
        index of ``datetime.date`` trading dates named ``date``; empty frames when no session
        falls in the range.
    """
    wanted = _check_symbols(symbols)
    first, last = _as_date(start), _as_date(end)
    if first > last:
        raise ValueError(f"start {first} is after end {last}")
    dates = _sessions(first, last, sessions)
    if not dates:
        return {symbol: _frame(np.empty((0, 5)), []) for symbol in wanted}

    n = len(dates)
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(_STREAM_COUNT)]
    regime = _markov_regimes(streams[_S_REGIME], n, REGIME_MEAN_DAYS, REGIME_NEXT)
    eq_sigma = _smooth(REGIME_VOL[regime], span=10) * _vol_clusters(streams[_S_EQ_LOGVOL], n) / np.sqrt(252)
    eq_shock = _fat_tailed(streams[_S_EQ_SHOCK], n)
    eq_ret = np.clip(_smooth(REGIME_DRIFT[regime], span=5) / 252 + eq_sigma * eq_shock, -0.25, 0.25)

    rate_regime = _markov_regimes(streams[_S_RATE], n, RATE_MEAN_DAYS, np.array([[0.0, 1.0], [1.0, 0.0]]))
    rho = BOND_CORRELATION[regime]
    bond_noise = rho * eq_shock + np.sqrt(1 - rho**2) * _fat_tailed(streams[_S_BOND_SHOCK], n)
    bond_sigma = BOND_VOL * _vol_clusters(streams[_S_BOND_LOGVOL], n) / np.sqrt(252)
    bond_drift = _smooth(RATE_DRIFT[rate_regime] + BOND_STRESS_DRIFT[regime], span=10) / 252
    bond_ret = np.clip(bond_drift + bond_sigma * bond_noise, -0.10, 0.10)

    base = {
        "QQQ": (eq_ret, *_intraday_factors(streams[_S_EQ_BAR], eq_ret, eq_sigma)),
        "TLT": (bond_ret, *_intraday_factors(streams[_S_BOND_BAR], bond_ret, bond_sigma)),
    }
    frames: dict[str, pd.DataFrame] = {}
    for symbol in wanted:
        underlying, leverage, fee = DERIVED.get(symbol, (symbol, 1.0, 0.0))
        ret, gap, up, down = base[underlying]
        sigma, typical = (eq_sigma, 0.18) if underlying == "QQQ" else (bond_sigma, BOND_VOL)
        ohlc = _ohlc(BASE_PRICE[symbol], ret, gap, up, down, leverage, fee)
        activity = (1 + 8 * np.abs(ret)) * sigma * np.sqrt(252) / typical
        volume = _volume(streams[_S_VOLUME[symbol]], BASE_VOLUME[symbol], activity)
        frames[symbol] = _frame(np.column_stack([*ohlc, volume]), dates)
    return frames


def regime_labels(start: date | str, end: date | str, *, seed: int = 42, sessions: Sequence[date] | None = None):
    """The index regime (``bull``/``sideways``/``bear``) behind each generated date, for demos and tests."""
    dates = _sessions(_as_date(start), _as_date(end), sessions)
    streams = np.random.SeedSequence(seed).spawn(_STREAM_COUNT)
    regime = _markov_regimes(np.random.default_rng(streams[_S_REGIME]), len(dates), REGIME_MEAN_DAYS, REGIME_NEXT)
    return pd.Series(np.array(REGIME_NAMES)[regime], index=pd.Index(dates, name="date"), name="regime")


# ── helpers ────────────────────────────────────────────────────────────────────────────────────────


def _check_symbols(symbols: Iterable[str]) -> list[str]:
    if isinstance(symbols, str):
        symbols = [symbols]
    wanted: list[str] = []
    for raw in symbols:
        symbol = str(raw).strip().upper()
        if symbol not in SYNTHETIC_SYMBOLS:
            raise ValueError(f"no synthetic model for {raw!r}; available: {', '.join(SYNTHETIC_SYMBOLS)}")
        if symbol not in wanted:
            wanted.append(symbol)
    return wanted


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def _sessions(first: date, last: date, sessions: Sequence[date] | None) -> list[date]:
    if sessions is None:
        from jutsu.scheduler.calendar import trading_days  # lazy: pandas_market_calendars is slow to import

        return trading_days(first, last)
    return sorted({_as_date(day) for day in sessions if first <= _as_date(day) <= last})


def _markov_regimes(rng: np.random.Generator, n: int, mean_days: np.ndarray, next_state: np.ndarray) -> np.ndarray:
    """A regime index per day: geometric segment lengths, next state drawn from ``next_state``."""
    states: list[int] = []
    lengths: list[int] = []
    state, total = 0, 0
    while total < n:
        length = int(rng.geometric(1.0 / mean_days[state]))
        states.append(state)
        lengths.append(length)
        total += length
        state = int(rng.choice(len(mean_days), p=next_state[state]))
    return np.repeat(np.array(states), np.array(lengths))[:n]


def _smooth(values: np.ndarray, *, span: int) -> np.ndarray:
    return pd.Series(values, dtype="float64").ewm(span=span, adjust=False).mean().to_numpy()


def _vol_clusters(rng: np.random.Generator, n: int) -> np.ndarray:
    """exp(h) with h an AR(1) (φ, σ) started at 0, normalised to mean 1 (stationary)."""
    shocks = np.concatenate([[0.0], LOGVOL_SIGMA * rng.standard_normal(n)])
    # h_t = φ h_{t-1} + e_t is an exponential filter of e/(1-φ) with alpha = 1-φ.
    h = pd.Series(shocks / (1 - LOGVOL_PHI)).ewm(alpha=1 - LOGVOL_PHI, adjust=False).mean().to_numpy()[1:]
    variance = LOGVOL_SIGMA**2 / (1 - LOGVOL_PHI**2)
    return np.exp(h - variance / 2)


def _fat_tailed(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_t(T_DOF, n) * np.sqrt((T_DOF - 2) / T_DOF)


def _intraday_factors(rng: np.random.Generator, ret: np.ndarray, sigma: np.ndarray):
    """(gap, upside, downside) relative to the previous close: open = 1+gap, high/low beyond o/c."""
    draws = rng.standard_normal((len(ret), 3))  # one row per day keeps the stream prefix-stable
    gap = np.clip(0.3 * sigma * draws[:, 0], -0.15, 0.15)
    up = np.abs(0.5 * sigma * draws[:, 1])
    down = np.abs(0.5 * sigma * draws[:, 2])
    return gap, up, down


def _ohlc(base_price: float, ret, gap, up, down, leverage: float, fee: float):
    open_f, close_f = 1 + gap, 1 + ret
    high_f = np.maximum(open_f, close_f) + up
    low_f = np.maximum(np.minimum(open_f, close_f) - down, 0.05)
    daily_fee = fee / 252

    def lever(factor):
        return np.maximum(1 + leverage * (factor - 1), 0.05)

    close_l = np.maximum(1 + leverage * ret - daily_fee, 0.05)
    open_l = lever(open_f)
    high_l, low_l = (lever(high_f), lever(low_f)) if leverage > 0 else (lever(low_f), lever(high_f))
    close = base_price * np.cumprod(close_l)
    previous = np.concatenate([[base_price], close[:-1]])
    open_ = previous * open_l
    high = np.maximum.reduce([previous * high_l, open_, close])
    low = np.minimum.reduce([previous * low_l, open_, close])
    return open_, high, low, close


def _volume(rng: np.random.Generator, base: float, activity: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(base * activity * np.exp(0.25 * rng.standard_normal(len(activity)))), 1.0)


def _frame(values: np.ndarray, dates: Sequence[date]) -> pd.DataFrame:
    return pd.DataFrame(values, columns=list(COLUMNS), index=pd.Index(list(dates), name="date"), dtype="float64")
