"""The Yahoo adapter against a fake of ``yfinance.Ticker`` (curl_cffi cannot be intercepted)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from yfinance.exceptions import YFRateLimitError

from jutsu.errors import InvalidParameter
from tests.trading.fakes import DAILY, FakeTicker, yahoo_frame
from trading.marketdata.validation import validate_bars
from trading.sources.base import SourceUnavailable
from trading.sources.yahoo import YahooSource


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def source_for(answer, **kwargs):
    tickers: dict[str, FakeTicker] = {}

    def factory(symbol: str) -> FakeTicker:
        tickers.setdefault(symbol, FakeTicker(answer))
        return tickers[symbol]

    clock = Clock()
    source = YahooSource(ticker_factory=factory, clock=clock, sleep=clock.sleep, **kwargs)
    return source, tickers, clock


def test_daily_bars_are_requested_unadjusted_with_an_exclusive_end_and_map_to_trading_dates():
    source, tickers, _ = source_for(yahoo_frame(DAILY))
    bars = source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    call = tickers["QQQ"].calls[0]
    assert call["start"] == "2019-07-18" and call["end"] == "2019-07-20"
    assert call["interval"] == "1d" and call["auto_adjust"] is False and call["actions"] is False
    checked = validate_bars(bars, timeframe="1D", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert [b.timestamp for b in checked.bars] == [datetime(2019, 7, 18, tzinfo=UTC), datetime(2019, 7, 19, tzinfo=UTC)]
    assert str(checked.bars[1].close) == "191.009995", "Close, not Adj Close"
    assert checked.repairs, "Yahoo's 2019-07-19 quirk is repaired like the CSV one"


def test_a_nan_close_from_yahoo_is_rejected_by_validation():
    rows = [*DAILY, ("2019-07-22", 194.0, 195.0, 193.0, np.nan, np.nan, 10)]
    source, _, _ = source_for(yahoo_frame(rows))
    checked = validate_bars(source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 22)), timeframe="1D",
                            now=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    assert len(checked.bars) == 2 and "close is missing" in checked.rejections[0].message


def test_intraday_bars_keep_their_utc_instant():
    frame = yahoo_frame([("2020-01-02 09:30", 1.0, 2.0, 0.5, 1.5, 1.5, 7)], interval="15m")
    source, tickers, _ = source_for(frame)
    bars = source.fetch_bars("QQQ", "15m", date(2020, 1, 2), date(2020, 1, 2))
    assert tickers["QQQ"].calls[0]["interval"] == "15m"
    checked = validate_bars(bars, timeframe="15m", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert checked.bars[0].timestamp == datetime(2020, 1, 2, 14, 30, tzinfo=UTC)


def test_repeated_requests_are_served_from_the_cache():
    source, tickers, _ = source_for(yahoo_frame(DAILY))
    first = source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    second = source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    assert first == second and len(tickers["QQQ"].calls) == 1


def test_the_cache_expires_after_its_ttl():
    source, tickers, clock = source_for(yahoo_frame(DAILY), cache_ttl_seconds=60)
    source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    clock.now += 61
    source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    assert len(tickers["QQQ"].calls) == 2


def test_requests_are_spaced_by_the_throttle_interval():
    source, _, clock = source_for(yahoo_frame(DAILY), min_interval_seconds=2.0)
    source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    clock.now += 0.5
    source.fetch_bars("TQQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    assert clock.sleeps == [1.5]


def test_a_rate_limit_is_reported_as_source_unavailable():
    source, _, _ = source_for(YFRateLimitError())
    with pytest.raises(SourceUnavailable, match="Too Many Requests") as caught:
        source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))
    assert caught.value.source == "yahoo" and not caught.value.permanent


def test_a_network_error_from_curl_is_reported_as_source_unavailable():
    source, _, _ = source_for(CurlConnectionError("Could not resolve host: query2.finance.yahoo.com"))
    with pytest.raises(SourceUnavailable, match="Could not resolve host"):
        source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))


def test_an_empty_answer_is_reported_as_unavailable_not_as_no_data():
    source, _, _ = source_for(yahoo_frame([]))
    with pytest.raises(SourceUnavailable, match="returned no 1d bars for QQQ"):
        source.fetch_bars("QQQ", "1D", date(2019, 7, 18), date(2019, 7, 19))


def test_an_unsupported_timeframe_is_an_invalid_parameter():
    source, _, _ = source_for(yahoo_frame(DAILY))
    with pytest.raises(InvalidParameter, match="no 1W bars"):
        source.fetch_bars("QQQ", "1W", date(2019, 7, 18), date(2019, 7, 19))
