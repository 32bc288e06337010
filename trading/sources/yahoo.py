"""Yahoo Finance through ``yfinance`` (``Ticker.history``), throttled and cached.

yfinance talks to Yahoo through ``curl_cffi``, which HTTP mocking libraries cannot intercept, so
the adapter takes a ``ticker_factory`` (default ``yfinance.Ticker``): tests inject a fake with the
same ``history(...)`` signature and yfinance's frame shape.

Prices: ``auto_adjust=False`` — open/high/low/close are Yahoo's split-adjusted prices and
``Adj Close`` (also dividend-adjusted) is ignored, the same convention as the CSV importer.

Yahoo rate-limits hard: requests of one instance are spaced at least ``min_interval_seconds`` apart
and answers are cached for ``cache_ttl_seconds`` per (symbol, interval, range); the registry keeps
one instance per process, so both hold process-wide.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from jutsu.errors import InvalidParameter
from trading.sources.base import MarketDataSource, RawBar, SourceUnavailable

INTERVALS = {"1D": "1d", "1H": "1h", "15m": "15m", "5m": "5m"}
PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Volume")


def default_ticker_factory(symbol: str) -> Any:
    import yfinance

    return yfinance.Ticker(symbol)


def network_errors() -> tuple[type[BaseException], ...]:
    """yfinance's own errors, and curl_cffi's (its request errors are also ``OSError``)."""
    from curl_cffi.curl import CurlError
    from yfinance.exceptions import YFException

    return (YFException, CurlError, OSError)


class YahooSource(MarketDataSource):
    name = "yahoo"
    label = "Yahoo Finance"
    remote = True

    def __init__(
        self,
        *,
        ticker_factory: Callable[[str], Any] | None = None,
        min_interval_seconds: float = 1.0,
        cache_ttl_seconds: float = 900.0,
        timeout_seconds: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ticker_factory = ticker_factory or default_ticker_factory
        self.min_interval_seconds = min_interval_seconds
        self.cache_ttl_seconds = cache_ttl_seconds
        self.timeout_seconds = timeout_seconds
        self._clock = clock
        self._sleep = sleep
        self._cache: dict[tuple, tuple[float, list[RawBar]]] = {}
        self._lock = threading.Lock()
        self._last_request_at: float | None = None

    def fetch_bars(self, symbol: str, timeframe: str, start: date, end: date) -> list[RawBar]:
        interval = INTERVALS.get(timeframe)
        if interval is None:
            raise InvalidParameter(f"Yahoo has no {timeframe} bars; choose one of {', '.join(INTERVALS)}")
        key = (symbol, interval, start, end)
        cached = self._cache.get(key)
        if cached and self._clock() - cached[0] < self.cache_ttl_seconds:
            return list(cached[1])

        self._throttle()
        try:
            frame = self._ticker_factory(symbol).history(
                start=start.isoformat(),
                end=(end + timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
                interval=interval,
                auto_adjust=False,
                actions=False,
                repair=False,
                timeout=self.timeout_seconds,
            )
        except network_errors() as exc:
            raise SourceUnavailable(f"Yahoo Finance request for {symbol} failed: {exc}", source=self.name)
        if frame is None or frame.empty:
            # yfinance logs and swallows its errors by default; an empty answer for a range that holds
            # trading days means an unknown symbol, a rate limit or an outage.
            raise SourceUnavailable(
                f"Yahoo Finance returned no {interval} bars for {symbol} between {start} and {end} "
                "(unknown symbol, rate limit or outage)",
                source=self.name,
            )
        bars = self._to_raw_bars(frame, symbol)
        self._cache[key] = (self._clock(), bars)
        return list(bars)

    def _throttle(self) -> None:
        with self._lock:
            now = self._clock()
            if self._last_request_at is not None:
                wait = self.min_interval_seconds - (now - self._last_request_at)
                if wait > 0:
                    self._sleep(wait)
                    now = self._clock()
            self._last_request_at = now

    def _to_raw_bars(self, frame, symbol: str) -> list[RawBar]:
        missing = [column for column in PRICE_COLUMNS if column not in frame.columns]
        if missing:
            raise SourceUnavailable(
                f"Yahoo Finance answered for {symbol} without columns {', '.join(missing)}", source=self.name
            )
        columns = [frame[column].tolist() for column in PRICE_COLUMNS]
        stamps = [stamp.to_pydatetime() for stamp in frame.index]
        return [
            RawBar(stamp, o, h, lo, c, v, where=f"yahoo {symbol} {stamp.isoformat()}")
            for stamp, o, h, lo, c, v in zip(stamps, *columns, strict=True)
        ]
