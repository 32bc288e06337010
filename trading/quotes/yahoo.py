"""Live quotes from Yahoo Finance (``yfinance``), the fallback when Schwab cannot answer.

yfinance fetches through ``curl_cffi`` (no HTTP mocking library reaches it), so the source takes a
``ticker_factory`` (default ``yfinance.Ticker``) and tests inject a fake with yfinance's frame shapes.

* Before the close: the day's 1-minute bars up to ``at`` (``history(period="1d", interval="1m")``) — the price
  is the last minute's close, open/high/low/volume the session so far. Bars after ``at`` are never used.
* From the close on: the day's daily bar (``history(period="5d", interval="1d")``), ``final``.

A symbol without a bar of the session is absent. Requests are spaced ``min_interval_seconds`` apart (Yahoo
rate-limits hard); network and yfinance errors become ``SourceUnavailable``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from jutsu.scheduler import calendar
from trading.quotes.base import Quote, QuoteSource
from trading.sources.base import SourceUnavailable
from trading.sources.yahoo import default_ticker_factory, network_errors

SIX_PLACES = Decimal("0.000001")


def _price(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)


class YahooQuoteSource(QuoteSource):
    """Quotes built from Yahoo's intraday and daily bars (see the module docstring)."""

    name = "yahoo"

    def __init__(
        self,
        *,
        ticker_factory: Callable[[str], Any] | None = None,
        min_interval_seconds: float = 0.5,
        timeout_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ticker_factory = ticker_factory or default_ticker_factory
        self.min_interval_seconds = min_interval_seconds
        self.timeout_seconds = timeout_seconds
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._last_request_at: float | None = None

    def quotes(self, symbols: Sequence[str], *, at: datetime) -> dict[str, Quote]:
        day = calendar.market_date(at)
        session = calendar.session(day)
        if session is None or at < session.open:
            return {}
        final = at >= session.close
        found: dict[str, Quote] = {}
        for symbol in symbols:
            quote = self._daily(symbol, day, at) if final else self._intraday(symbol, day, at)
            if quote is not None:
                found[symbol] = quote
        return found

    def _history(self, symbol: str, **kwargs: Any):
        self._throttle()
        try:
            return self._ticker_factory(symbol).history(
                auto_adjust=False, actions=False, prepost=False, timeout=self.timeout_seconds, **kwargs
            )
        except network_errors() as exc:
            raise SourceUnavailable(f"Yahoo Finance quote for {symbol} failed: {exc}", source=self.name)

    def _intraday(self, symbol: str, day, at: datetime) -> Quote | None:
        frame = self._history(symbol, period="1d", interval="1m")
        if frame is None or frame.empty:
            return None
        stamps = [stamp.to_pydatetime() for stamp in frame.index]
        rows = [i for i, stamp in enumerate(stamps) if calendar.market_date(stamp) == day and stamp <= at]
        if not rows:
            return None
        part = frame.iloc[rows]
        return Quote(
            symbol,
            _price(part["Close"].iloc[-1]),
            at,
            self.name,
            open=_price(part["Open"].iloc[0]),
            high=_price(part["High"].max()),
            low=_price(part["Low"].min()),
            volume=int(part["Volume"].sum()),
        )

    def _daily(self, symbol: str, day, at: datetime) -> Quote | None:
        frame = self._history(symbol, period="5d", interval="1d")
        if frame is None or frame.empty:
            return None
        rows = [i for i, stamp in enumerate(frame.index) if stamp.date() == day]
        if not rows:
            return None
        bar = frame.iloc[rows[-1]]
        return Quote(
            symbol,
            _price(bar["Close"]),
            at,
            self.name,
            open=_price(bar["Open"]),
            high=_price(bar["High"]),
            low=_price(bar["Low"]),
            volume=int(bar["Volume"]),
            final=True,
        )

    def _throttle(self) -> None:
        with self._lock:
            now = self._clock()
            if self._last_request_at is not None:
                wait = self.min_interval_seconds - (now - self._last_request_at)
                if wait > 0:
                    self._sleep(wait)
                    now = self._clock()
            self._last_request_at = now
