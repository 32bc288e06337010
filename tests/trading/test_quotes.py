"""Quotes: the replay source prices a past moment from stored bars; live sources chain with a fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jutsu.errors import DataMissing
from jutsu.scheduler.runner import parse_as_of
from trading.marketdata.importing import market_data_store_bars
from trading.quotes import (
    FallbackQuoteSource,
    Quote,
    QuoteSource,
    ReplayQuoteSource,
    quote_source_for,
    quote_source_live,
    quote_source_register,
)
from trading.sources.base import RawBar, SourceUnavailable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_live_sources(monkeypatch):
    """Each test registers its own live sources; the app's (Schwab, Yahoo) are back afterwards."""
    from trading.quotes import base

    monkeypatch.setattr(base, "_factories", {})


@pytest.fixture
def bars():
    rows = [("2020-06-29", "100", "104", "99", "103", 5000), ("2020-06-30", "103", "106", "102", "105", 6000)]
    market_data_store_bars(
        symbol="QQQ",
        timeframe="1D",
        data_source="csv",
        raw_bars=[RawBar(d, o, h, lo, c, v) for d, o, h, lo, c, v in rows],
        operation="import",
        now=datetime(2020, 7, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("moment", "price", "final"),
    [
        ("2020-06-30T09:30:00", "103", False),  # open
        ("2020-06-30T09:45:00", "103", False),  # 15 min after the open: still the open
        ("2020-06-30T15:44:59", "103", False),
        ("2020-06-30T15:45:00", "105", False),  # 15 min before the close: the close
        ("2020-06-30T15:55:00", "105", False),
        ("2020-06-30T16:00:00", "105", True),  # at the close: the whole bar
    ],
)
def test_a_replay_prices_the_stored_bar_by_the_moment_of_the_session(bars, moment, price, final):
    quote = ReplayQuoteSource().quotes(["QQQ"], at=parse_as_of(moment))["QQQ"]
    assert (quote.price, quote.final) == (Decimal(price), final)
    if final:
        assert (quote.open, quote.high, quote.low, quote.volume) == (103, 106, 102, 6000)


def test_a_replay_has_no_quote_before_the_open_on_holidays_or_without_a_bar(bars):
    source = ReplayQuoteSource()
    assert source.quotes(["QQQ"], at=parse_as_of("2020-06-30T08:00:00")) == {}
    assert source.quotes(["QQQ"], at=parse_as_of("2020-07-03T12:00:00")) == {}  # Independence Day observed
    assert source.quotes(["QQQ", "TQQQ"], at=parse_as_of("2020-06-29T16:00:00")).keys() == {"QQQ"}


def test_half_days_use_the_early_close(db):
    rows = [RawBar("2019-11-29", "205", "207", "204", "206", 100)]
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=rows, operation="import")
    source = ReplayQuoteSource()
    assert source.quotes(["QQQ"], at=parse_as_of("2019-11-29T12:45:00"))["QQQ"].price == Decimal("206")
    assert source.quotes(["QQQ"], at=parse_as_of("2019-11-29T13:00:00"))["QQQ"].final


class Fixed(QuoteSource):
    def __init__(self, name, prices, down=False):
        self.name, self.prices, self.down = name, prices, down

    def quotes(self, symbols, *, at):
        if self.down:
            raise SourceUnavailable(f"{self.name} is down", source=self.name)
        return {s: Quote(s, Decimal(self.prices[s]), at, self.name) for s in symbols if s in self.prices}


def test_the_live_chain_asks_the_fallback_for_what_the_primary_cannot_price(monkeypatch):
    monkeypatch.setenv("DATA_PRIMARY_SOURCE", "schwab")
    monkeypatch.setenv("DATA_FALLBACK_SOURCE", "yahoo")
    quote_source_register("schwab", lambda: Fixed("schwab", {"QQQ": "100"}))
    quote_source_register("yahoo", lambda: Fixed("yahoo", {"QQQ": "99", "TQQQ": "50"}))
    now = datetime(2024, 7, 1, 14, 0, tzinfo=UTC)
    source = quote_source_for(now, now=now)
    assert isinstance(source, FallbackQuoteSource)
    found = source.quotes(["QQQ", "TQQQ"], at=now)
    assert {s: (q.price, q.source) for s, q in found.items()} == {
        "QQQ": (Decimal("100"), "schwab"),
        "TQQQ": (Decimal("50"), "yahoo"),
    }
    quote_source_register("schwab", lambda: Fixed("schwab", {}, down=True))
    source = quote_source_live()
    assert source.quotes(["QQQ"], at=now)["QQQ"].source == "yahoo" and "schwab is down" in source.failures[0]


def test_without_a_registered_live_source_live_quotes_are_a_clear_error():
    with pytest.raises(DataMissing, match="no live quote source is available"):
        quote_source_live()


def test_a_past_moment_is_replayed():
    now = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    assert isinstance(quote_source_for(datetime(2020, 6, 30, 20, 0, tzinfo=UTC), now=now), ReplayQuoteSource)
