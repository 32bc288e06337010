"""The synthetic generator behind the source interface (``name = "synthetic"``).

The path is anchored at ``anchor`` (default ``DEFAULT_ANCHOR``): every fetch generates from the
anchor and returns the requested slice, so two fetches of overlapping ranges agree bar for bar.
"""

from __future__ import annotations

from datetime import date

from jutsu.errors import InvalidParameter
from trading.sources.base import DAILY, MarketDataSource, RawBar
from trading.sources.synthetic import SYNTHETIC_SYMBOLS, generate_synthetic_bars

DEFAULT_ANCHOR = date(2014, 1, 2)
DEFAULT_SEED = 42


def frame_to_raw_bars(frame, symbol: str, *, start: date | None = None, end: date | None = None) -> list[RawBar]:
    """Rows of a generator frame (index of dates) as ``RawBar`` objects, optionally limited to a range."""
    rows = frame.itertuples(index=True, name=None)
    return [
        RawBar(day, o, h, lo, c, v, where=f"synthetic {symbol} {day}")
        for day, o, h, lo, c, v in rows
        if (start is None or day >= start) and (end is None or day <= end)
    ]


class SyntheticSource(MarketDataSource):
    name = "synthetic"
    label = "Synthetic (generated, not real prices)"
    remote = False

    def __init__(self, *, seed: int = DEFAULT_SEED, anchor: date = DEFAULT_ANCHOR) -> None:
        self.seed = seed
        self.anchor = anchor

    def fetch_bars(self, symbol: str, timeframe: str, start: date, end: date) -> list[RawBar]:
        if timeframe != DAILY:
            raise InvalidParameter(f"the synthetic source only generates daily bars, not {timeframe}")
        symbol = symbol.upper()
        if symbol not in SYNTHETIC_SYMBOLS:
            raise InvalidParameter(f"no synthetic model for {symbol}; available: {', '.join(SYNTHETIC_SYMBOLS)}")
        if end < self.anchor or start > end:
            return []
        frame = generate_synthetic_bars([symbol], self.anchor, end, seed=self.seed)[symbol]
        return frame_to_raw_bars(frame, symbol, start=start, end=end)
