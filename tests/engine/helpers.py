"""Small builders shared by the engine tests (no database, no Django)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tests.data import shared_market_dir


def bars(
    closes: Sequence[float],
    start: str = "2020-01-01",
    opens: Sequence[float] | None = None,
    volume: float = 1_000_000.0,
) -> pd.DataFrame:
    """Daily bars on business days; high/low bracket open and close by 1%."""
    closes = np.asarray(closes, dtype=float)
    opens = closes if opens is None else np.asarray(opens, dtype=float)
    index = pd.bdate_range(start, periods=len(closes), name="date")
    return pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, closes) * 1.01,
            "low": np.minimum(opens, closes) * 0.99,
            "close": closes,
            "volume": np.full(len(closes), volume),
        },
        index=index,
    )


def random_walk(n: int, seed: int = 7, start_price: float = 100.0, start: str = "2000-01-03") -> pd.DataFrame:
    """A seeded geometric random walk with plausible OHLCV (for indicator and engine tests)."""
    rng = np.random.default_rng(seed)
    rets = rng.normal(0.0004, 0.012, n)
    closes = start_price * np.exp(np.cumsum(rets))
    opens = closes * np.exp(rng.normal(0, 0.004, n))
    highs = np.maximum(opens, closes) * (1 + np.abs(rng.normal(0, 0.005, n)))
    lows = np.minimum(opens, closes) * (1 - np.abs(rng.normal(0, 0.005, n)))
    volume = rng.integers(1_000_000, 5_000_000, n).astype(float)
    # a few unchanged closes exercise OBV's "equal close" rule
    for i in (10, 200):
        if i < n:
            closes[i] = closes[i - 1]
    highs = np.maximum(highs, closes)
    lows = np.minimum(lows, closes)
    index = pd.bdate_range(start, periods=n, name="date")
    return pd.DataFrame({"open": opens, "high": highs, "low": lows, "close": closes, "volume": volume}, index=index)


def load_market(*symbols: str) -> dict[str, pd.DataFrame]:
    """Real Yahoo bars from the shared folder (skips when absent); the incomplete null rows are dropped."""
    folder = shared_market_dir()
    out = {}
    for symbol in symbols:
        frame = pd.read_csv(folder / f"{symbol}.csv", index_col="Date", parse_dates=True, na_values="null")
        frame = frame.dropna(subset=["Close"]).rename(columns=str.lower)
        out[symbol] = frame[["open", "high", "low", "close", "volume"]]
    return out


def rel_close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-9) -> bool:
    """Element-wise relative agreement of two float arrays (NaNs must coincide).

    Values that cross zero (MACD histogram, OBV) are compared relative to 1e-3 of the series' largest
    magnitude at least, so rounding noise near a zero crossing does not count as disagreement.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    mask = ~np.isnan(a)
    if not mask.any():
        return True
    scale = np.maximum(np.abs(b[mask]), 1e-3 * np.abs(b[mask]).max())
    return bool(np.all(np.abs(a[mask] - b[mask]) <= rtol * scale))


def isclose(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)
