"""Aligned multi-symbol daily bars and the per-bar window a strategy sees.

:class:`MarketFeed` puts every symbol on one calendar (the union of their dates); each symbol keeps its
own bars, so a symbol that starts later simply has no history before its first bar. :class:`Bar` is
the strategy's view at one calendar position: everything it returns is cut at the current bar, so a
strategy cannot read the future through it.

Indicators requested through :meth:`Bar.indicator` / :meth:`Bar.value` are computed once over a
symbol's whole history and cached; this is lookahead-free because the functions are causal (bar
``t`` uses only bars ≤ ``t`` — true of everything in :mod:`strategies.engine.indicators`), and the
view is still truncated at the current bar.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError

FIELDS = ("open", "high", "low", "close", "volume")
_NAN = math.nan


def _to_dates(index: pd.Index, symbol: str) -> np.ndarray:
    try:
        days = pd.DatetimeIndex(index).tz_localize(None).normalize().to_numpy(dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise DataError(f"{symbol}: the index must hold dates ({exc})")
    return days


def _read_only(view: np.ndarray) -> np.ndarray:
    view.flags.writeable = False  # a view into shared cached data: strategies must not edit it
    return view


class SymbolBars:
    """One symbol's own bars as float arrays (and lists for fast scalar access)."""

    def __init__(self, symbol: str, frame: pd.DataFrame) -> None:
        cols = {str(c).lower().replace(" ", "_"): c for c in frame.columns}
        missing = [f for f in ("open", "high", "low", "close") if f not in cols]
        if missing:
            raise DataError(f"{symbol}: missing column(s) {', '.join(missing)}")
        days = _to_dates(frame.index, symbol)
        if days.size and not (days[1:] > days[:-1]).all():
            raise DataError(f"{symbol}: dates must be strictly increasing (sorted, no duplicates)")
        self.symbol = symbol
        self.days = days
        self.arrays: dict[str, np.ndarray] = {}
        for field in FIELDS:
            if field in cols:
                arr = pd.to_numeric(frame[cols[field]], errors="coerce").to_numpy(dtype=float)
            else:
                arr = np.full(days.size, np.nan)
            self.arrays[field] = arr
        bad = np.flatnonzero(np.isnan(self.arrays["close"]) | (self.arrays["close"] <= 0))
        if bad.size:
            raise DataError(f"{symbol}: missing or non-positive close on {days[bad[0]].astype(object)}")
        for field in ("open", "high", "low"):
            if np.isnan(self.arrays[field]).any():
                # a missing open/high/low is replaced by the close (documented: only close is required)
                arr = self.arrays[field]
                self.arrays[field] = np.where(np.isnan(arr), self.arrays["close"], arr)
        self.lists = {field: arr.tolist() for field, arr in self.arrays.items()}

    def __len__(self) -> int:
        return int(self.days.size)


class MarketFeed:
    """Bars of several symbols on a common calendar, cut at ``end`` (inclusive) when given."""

    def __init__(self, data: Mapping[str, pd.DataFrame], end: dt.date | None = None) -> None:
        if not data:
            raise DataError("no market data given")
        self.bars: dict[str, SymbolBars] = {}
        for symbol in sorted(data):
            frame = data[symbol]
            if not isinstance(frame, pd.DataFrame):
                raise DataError(f"{symbol}: expected a pandas DataFrame, got {type(frame).__name__}")
            bars = SymbolBars(symbol, frame)
            if end is not None and len(bars):
                keep = int(np.searchsorted(bars.days, np.datetime64(end, "D"), side="right"))
                if keep < len(bars):
                    bars = SymbolBars(symbol, frame.iloc[:keep])
            self.bars[symbol] = bars
        all_days = [b.days for b in self.bars.values() if len(b)]
        self.days = np.unique(np.concatenate(all_days)) if all_days else np.array([], dtype="datetime64[D]")
        self.dates: list[dt.date] = self.days.astype(object).tolist()
        # count[symbol][i] = number of the symbol's own bars dated ≤ calendar date i
        self.count: dict[str, list[int]] = {}
        self.today: dict[str, list[bool]] = {}
        for symbol, bars in self.bars.items():
            counts = np.searchsorted(bars.days, self.days, side="right")
            self.count[symbol] = counts.tolist()
            present = np.zeros(self.days.size, dtype=bool)
            present[np.searchsorted(self.days, bars.days)] = True
            self.today[symbol] = present.tolist()
        self._cache: dict[tuple, tuple[Any, Any]] = {}

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self.bars)

    def __len__(self) -> int:
        return len(self.dates)

    def first_date(self, symbol: str) -> dt.date | None:
        bars = self.bars.get(symbol)
        return bars.days[0].astype(object) if bars is not None and len(bars) else None

    def computed(self, symbol: str, fn: Callable[..., Any], args: tuple, fields: tuple[str, ...]) -> tuple[Any, Any]:
        """(arrays, lists) of ``fn(*field_arrays, *args)`` over the symbol's whole history, cached."""
        key = (symbol, fn, args, fields)
        hit = self._cache.get(key)
        if hit is None:
            bars = self.bars[symbol]
            out = fn(*(bars.arrays[f] for f in fields), *args)
            if isinstance(out, tuple):
                arrays = tuple(np.asarray(o, dtype=float) for o in out)
                hit = (arrays, tuple(a.tolist() for a in arrays))
            else:
                arr = np.asarray(out, dtype=float)
                hit = (arr, arr.tolist())
            self._cache[key] = hit
        return hit


class Bar:
    """A strategy's view of the market at one calendar position (mutated in place by the engine)."""

    __slots__ = ("_feed", "_weights_fn", "date", "first_tradable", "i", "tradable")

    def __init__(self, feed: MarketFeed) -> None:
        self._feed = feed
        self.i = -1
        self.date: dt.date | None = None
        self.tradable = False
        self.first_tradable = False
        self._weights_fn: Callable[[], dict[str, float]] = dict

    # ---------------------------------------------------------------- availability
    def has_data(self, symbol: str) -> bool:
        """True when ``symbol`` has at least one bar up to today."""
        counts = self._feed.count.get(symbol)
        return bool(counts and counts[self.i])

    def has_bar(self, symbol: str) -> bool:
        """True when ``symbol`` has a bar dated today (it can trade today)."""
        today = self._feed.today.get(symbol)
        return bool(today and today[self.i])

    def bars_seen(self, symbol: str) -> int:
        """Number of ``symbol``'s bars up to and including today."""
        counts = self._feed.count.get(symbol)
        return counts[self.i] if counts else 0

    # ---------------------------------------------------------------- prices
    def get(self, symbol: str, field: str = "close") -> float:
        """Latest ``field`` of ``symbol`` as of today (its last bar if it has none today); NaN if none yet."""
        counts = self._feed.count.get(symbol)
        k = counts[self.i] if counts else 0
        return self._feed.bars[symbol].lists[field][k - 1] if k else _NAN

    def close(self, symbol: str) -> float:
        """Latest close of ``symbol`` (NaN before its first bar)."""
        return self.get(symbol, "close")

    def history(self, symbol: str, field: str = "close") -> np.ndarray:
        """``symbol``'s ``field`` values up to and including today (a read-only view)."""
        k = self.bars_seen(symbol)
        if not k:
            return np.empty(0)
        return _read_only(self._feed.bars[symbol].arrays[field][:k])

    # ---------------------------------------------------------------- indicators
    def indicator(self, symbol: str, fn: Callable[..., Any], *args: Any, fields: tuple[str, ...] = ("close",)) -> Any:
        """``fn(*fields, *args)`` over ``symbol``'s history up to today (array, or tuple of arrays)."""
        k = self.bars_seen(symbol)
        if not k:
            return np.empty(0)
        arrays, _ = self._feed.computed(symbol, fn, args, fields)
        if isinstance(arrays, tuple):
            return tuple(_read_only(a[:k]) for a in arrays)
        return _read_only(arrays[:k])

    def value(
        self, symbol: str, fn: Callable[..., Any], *args: Any, fields: tuple[str, ...] = ("close",), ago: int = 0
    ) -> Any:
        """Value of ``fn(*fields, *args)`` for ``symbol`` at its latest bar (``ago`` bars earlier when
        given): a float, or a tuple for multi-output functions. NaN before the symbol's first bar, for
        a symbol without data, or during the indicator's warm-up."""
        feed = self._feed
        counts = feed.count.get(symbol)
        if counts is None:
            return _NAN
        k = counts[self.i] - ago
        if k <= 0:
            return _NAN
        hit = feed._cache.get((symbol, fn, args, fields))  # inlined cache hit: this is the hot path
        lists = (hit or feed.computed(symbol, fn, args, fields))[1]
        if lists.__class__ is tuple:
            return tuple(lst[k - 1] for lst in lists)
        return lists[k - 1]

    # ---------------------------------------------------------------- portfolio
    @property
    def weights(self) -> dict[str, float]:
        """Current portfolio weights (position value / equity, before today's fills, marked at the
        latest closes); symbols with no position are absent."""
        return self._weights_fn()


class FeedPool:
    """Aligned feeds keyed by the frame objects they were built from and the end date."""

    def __init__(self) -> None:
        self._feeds: dict[tuple, tuple[tuple[pd.DataFrame, ...], MarketFeed]] = {}
        self.built = 0
        self.reused = 0

    def feed(self, data: Mapping[str, pd.DataFrame], end: dt.date | None) -> MarketFeed:
        """The feed of ``data`` cut at ``end``; built once per distinct set of frames."""
        key = (tuple((symbol, id(frame)) for symbol, frame in sorted(data.items())), end)
        hit = self._feeds.get(key)
        if hit is None:
            # keep the frames referenced: their ids stay unique while they are in the key
            hit = (tuple(data.values()), MarketFeed(data, end=end))
            self._feeds[key] = hit
            self.built += 1
        else:
            self.reused += 1
        return hit[1]

    def feeds(self) -> list[MarketFeed]:
        """The feeds built so far."""
        return [feed for _frames, feed in self._feeds.values()]
