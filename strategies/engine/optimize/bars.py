"""Bars loaded once and shared by every combination of a grid (in one worker process).

A single backtest loads, per symbol, the bars of the range plus the last ``warmup`` bars before the
start (``warmup`` = the strategy's warm-up plus a margin). Combinations of a grid may need different
warm-ups (an SMA crossover with slow = 100 or 150), and recursive indicators depend on where the
history starts, so :class:`SharedBars` loads once with the *longest* warm-up and cuts, per
combination, exactly the bars a single backtest with those parameters would have loaded — a grid row
therefore equals that single backtest to the last bit.

:attr:`SharedBars.pool` (a :class:`~strategies.engine.feed.FeedPool`) reuses the aligned feed — and with
it every cached indicator series, e.g. SMA(40) of QQQ — across the combinations that see the same bars.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..feed import FeedPool


def _day(value) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).date(), "D")


class SharedBars:
    """Frames loaded with the longest warm-up; :meth:`frames` cuts them to a shorter warm-up (cached).

    ``warmup_bars`` records how many bars before the start were loaded (the most a cut can keep).
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame], start: dt.date, warmup_bars: int = 0) -> None:
        self.start = start
        self.warmup_bars = warmup_bars
        self._frames = dict(frames)
        self._before: dict[str, int] = {}
        for symbol, frame in self._frames.items():
            days = pd.DatetimeIndex(pd.to_datetime(frame.index)).to_numpy(dtype="datetime64[D]")
            self._before[symbol] = int(np.searchsorted(days, _day(start), side="left"))
        self._cuts: dict[tuple[tuple[str, ...], int], dict[str, pd.DataFrame]] = {}
        self.pool = FeedPool()

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._frames)

    def frames(self, symbols: Iterable[str], warmup_bars: int) -> dict[str, pd.DataFrame]:
        """``{symbol: frame}`` with at most ``warmup_bars`` bars before the start (the same frame objects on
        every call with the same arguments, so feeds built on them can be shared)."""
        wanted = tuple(s for s in dict.fromkeys(symbols) if s in self._frames)
        key = (wanted, int(warmup_bars))
        hit = self._cuts.get(key)
        if hit is None:
            hit = {}
            for symbol in wanted:
                frame = self._frames[symbol]
                first = max(0, self._before[symbol] - int(warmup_bars))
                hit[symbol] = frame.iloc[first:] if first else frame
            self._cuts[key] = hit
        return hit
