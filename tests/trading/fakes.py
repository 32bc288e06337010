"""Test doubles shared by the market-data tests: a stand-in for ``yfinance.Ticker`` and its frames.

yfinance fetches through curl_cffi, which HTTP mocking libraries cannot intercept; the Yahoo adapter
takes a ticker factory instead, and these fakes answer with frames shaped like yfinance's own.
"""

from __future__ import annotations

import pandas as pd


def yahoo_frame(rows: list[tuple], *, interval: str = "1d") -> pd.DataFrame:
    """A frame shaped like ``Ticker.history(auto_adjust=False, actions=False)``: exchange-time index."""
    stamps = pd.DatetimeIndex([pd.Timestamp(r[0]) for r in rows]).tz_localize("America/New_York")
    stamps.name = "Date" if interval == "1d" else "Datetime"
    columns = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    return pd.DataFrame([r[1:] for r in rows], index=stamps, columns=columns)


DAILY = [
    ("2019-07-18", 191.0, 192.5, 190.1, 192.0, 190.4, 100),
    ("2019-07-19", 193.839996, 193.830002, 190.809998, 191.009995, 189.479202, 29387900),
]


class FakeTicker:
    """Records the ``history`` calls and answers with a prepared frame or error."""

    def __init__(self, answer):
        self.answer = answer
        self.calls: list[dict] = []

    def history(self, **kwargs):
        self.calls.append(kwargs)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer
