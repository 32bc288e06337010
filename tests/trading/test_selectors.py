"""Market-data reads for other apps: frames, warm-up, coverage, latest date, query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from trading.marketdata.bookkeeping import data_metadata_refresh
from trading.marketdata.importing import market_data_store_bars
from trading.models import MarketData
from trading.selectors import latest_bar_date, market_data_coverage, market_data_coverage_all, market_data_frames
from trading.sources.base import RawBar
from trading.sources.synthetic import generate_synthetic_bars

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def store(symbol: str, *days_and_closes: tuple[str, str], timeframe: str = "1D") -> None:
    bars = [RawBar(d, c, c, c, c, "100") for d, c in days_and_closes]
    market_data_store_bars(symbol=symbol, timeframe=timeframe, data_source="csv", raw_bars=bars, now=NOW)


@pytest.fixture
def qqq():
    store("QQQ", ("2020-01-02", "10"), ("2020-01-03", "11"), ("2020-01-06", "12"), ("2020-01-07", "13"),
          ("2020-01-08", "14"))  # fmt: skip


def test_frames_hold_float_ohlcv_indexed_by_trading_date(qqq):
    frame = market_data_frames(["qqq"], date(2020, 1, 3), date(2020, 1, 7))["QQQ"]
    assert list(frame.index) == [date(2020, 1, 3), date(2020, 1, 6), date(2020, 1, 7)]
    assert frame.index.name == "date" and list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert frame.loc[date(2020, 1, 6), "close"] == 12.0 and frame.loc[date(2020, 1, 6), "volume"] == 100.0


def test_warmup_bars_before_start_are_included(qqq):
    frame = market_data_frames(["QQQ"], date(2020, 1, 6), date(2020, 1, 8), warmup_bars=1)["QQQ"]
    assert frame.index[0] == date(2020, 1, 3) and len(frame) == 4


def test_warmup_is_limited_by_the_stored_history(qqq):
    frame = market_data_frames(["QQQ"], date(2020, 1, 6), date(2020, 1, 8), warmup_bars=50)["QQQ"]
    assert frame.index[0] == date(2020, 1, 2) and len(frame) == 5


def test_invalid_bars_are_left_out(qqq):
    MarketData.objects.filter(timestamp=datetime(2020, 1, 6, tzinfo=UTC)).update(is_valid=False)
    frame = market_data_frames(["QQQ"], date(2020, 1, 2), date(2020, 1, 8))["QQQ"]
    assert date(2020, 1, 6) not in frame.index and len(frame) == 4


def test_a_symbol_without_bars_gets_an_empty_frame_with_the_same_columns(qqq):
    frames = market_data_frames(["QQQ", "TMV"], date(2020, 1, 2), date(2020, 1, 8))
    assert frames["TMV"].empty and list(frames["TMV"].columns) == list(frames["QQQ"].columns)


def test_intraday_frames_are_indexed_by_utc_instants_of_new_york_dates():
    store("QQQ", ("2020-01-02T14:30:00Z", "10"), ("2020-01-02T20:45:00Z", "11"), ("2020-01-03T14:30:00Z", "12"),
          timeframe="15m")  # fmt: skip
    frame = market_data_frames(["QQQ"], date(2020, 1, 2), date(2020, 1, 2), timeframe="15m")["QQQ"]
    assert len(frame) == 2 and str(frame.index.tz) == "UTC"


def test_coverage_and_latest_bar_date(qqq):
    coverage = market_data_coverage("qqq")
    assert (coverage.first_date, coverage.last_date, coverage.bar_count) == (date(2020, 1, 2), date(2020, 1, 8), 5)
    assert coverage.has_data and coverage.last_source == "csv" and coverage.last_sync_at == NOW
    assert latest_bar_date("QQQ") == date(2020, 1, 8)
    assert [c.symbol for c in market_data_coverage_all()] == ["QQQ"]


def test_coverage_of_an_unknown_symbol_is_empty():
    coverage = market_data_coverage("NONE")
    assert not coverage.has_data and coverage.first_date is None
    assert latest_bar_date("NONE") is None


def test_latest_bar_date_skips_invalid_bars(qqq):
    MarketData.objects.filter(timestamp=datetime(2020, 1, 8, tzinfo=UTC)).update(is_valid=False)
    data_metadata_refresh(symbol="QQQ", timeframe="1D")
    assert latest_bar_date("QQQ") == date(2020, 1, 7)
    assert market_data_coverage("QQQ").valid_bar_count == 4


def test_ten_years_of_five_symbols_load_in_two_queries_per_symbol(django_assert_num_queries):
    """Two indexed range reads per symbol (range + warm-up), whatever the number of years; speed is in bench/."""
    symbols = ["QQQ", "TQQQ", "PSQ", "TLT", "TMF"]
    frames = generate_synthetic_bars(symbols, date(2010, 1, 4), date(2020, 12, 31), seed=3)
    rows = []
    for symbol, frame in frames.items():
        for day, o, h, lo, c, v in frame.itertuples(name=None):
            stamp = datetime(day.year, day.month, day.day, tzinfo=UTC)
            rows.append(MarketData(symbol=symbol, timestamp=stamp, open=Decimal(f"{o:.6f}"), high=Decimal(f"{h:.6f}"),
                                   low=Decimal(f"{lo:.6f}"), close=Decimal(f"{c:.6f}"), volume=int(v),
                                   data_source="synthetic"))  # fmt: skip
    MarketData.objects.bulk_create(rows, batch_size=2000)
    start, end = date(2011, 1, 3), date(2020, 12, 31)

    with django_assert_num_queries(2 * len(symbols)):
        loaded = market_data_frames(symbols, start, end, warmup_bars=250)
    assert all(len(frame) == 2517 + 250 for frame in loaded.values())
    for symbol in symbols:
        expected = frames[symbol].loc[loaded[symbol].index]
        assert np.allclose(loaded[symbol][["open", "high", "low", "close"]].to_numpy(),
                           expected[["open", "high", "low", "close"]].to_numpy(), atol=1e-6)  # fmt: skip
    with django_assert_num_queries(len(symbols)):  # without warm-up: one range read per symbol
        market_data_frames(symbols, start, end)
