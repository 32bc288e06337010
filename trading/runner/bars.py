"""The bars a trading run decides on: stored history up to the previous session plus today's bar.

* At or after the session close today's bar is the real one — the stored bar of the day when there is one
  (a replay, or a live run after the day's sync), else a bar built from the day's final quote (open, high,
  low, last, volume).
* Before the close it is a **synthetic bar** from the current quote: open = high = low = close = the price at
  the execution moment, volume = the previous session's volume (no look-ahead).
* Nothing dated after the day is used; a symbol without a quote has no bar today (it cannot trade today).

Also the data-freshness rule: a symbol is fresh when its newest stored bar before today is the previous
session's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import pandas as pd

from jutsu.scheduler import calendar
from trading.quotes.base import Quote


def _bar_row(day: date, open_: float, high: float, low: float, close: float, volume: float) -> pd.DataFrame:
    index = pd.Index([day], name="date", dtype="object")
    return pd.DataFrame(
        [[open_, high, low, close, volume]], index=index, columns=["open", "high", "low", "close", "volume"]
    )


def today_bar(quote: Quote, day: date, previous_volume: float) -> pd.DataFrame:
    """Today's bar from ``quote`` (see the module docstring) as a one-row frame."""
    price = float(quote.price)
    if quote.final:
        open_ = float(quote.open if quote.open is not None else price)
        high = float(quote.high if quote.high is not None else max(open_, price))
        low = float(quote.low if quote.low is not None else min(open_, price))
        volume = float(quote.volume if quote.volume is not None else previous_volume)
        return _bar_row(day, open_, max(high, open_, price), min(low, open_, price), price, volume)
    return _bar_row(day, price, price, price, price, previous_volume)


def frames_with_today(
    frames: Mapping[str, pd.DataFrame], day: date, quotes: Mapping[str, Quote]
) -> dict[str, pd.DataFrame]:
    """``frames`` (history dated ≤ ``day``) with today's bar per the module docstring."""
    out: dict[str, pd.DataFrame] = {}
    for symbol, frame in frames.items():
        history = frame[[d < day for d in frame.index]] if len(frame) else frame
        stored_today = len(frame) > len(history)
        quote = quotes.get(symbol)
        if quote is not None and quote.final and stored_today:
            out[symbol] = frame.iloc[: len(history) + 1]
        elif quote is not None:
            previous_volume = float(history["volume"].iloc[-1]) if len(history) else 0.0
            out[symbol] = pd.concat([history, today_bar(quote, day, previous_volume)])
        else:
            out[symbol] = history
    return out


def stale_symbols(frames: Mapping[str, pd.DataFrame], symbols: Iterable[str], day: date) -> dict[str, date | None]:
    """``{symbol: its newest bar before day}`` for the symbols whose newest stored bar before ``day`` is not
    the previous session's (``None``: no bar at all)."""
    expected = calendar.previous_trading_day(day)
    stale: dict[str, date | None] = {}
    for symbol in symbols:
        frame = frames.get(symbol)
        before = [d for d in (frame.index if frame is not None else ()) if d < day]
        last = before[-1] if before else None
        if last != expected:
            stale[symbol] = last
    return stale
