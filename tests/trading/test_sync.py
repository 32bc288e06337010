"""Sync from remote sources: incremental ranges, unfinished sessions, fallback, failures, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
import respx
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError

from jutsu.errors import InvalidParameter
from tests.trading.fakes import FakeTicker, yahoo_frame
from trading.marketdata.importing import market_data_store_bars
from trading.marketdata.sync import last_completed_session, market_data_sync
from trading.models import AuditOperation, AuditOutcome, DataAuditLog, DataMetadata, MarketData
from trading.sources.base import RawBar, SourceUnavailable
from trading.sources.registry import fetch_with_fallback, register_source
from trading.sources.schwab import SchwabSource
from trading.sources.yahoo import YahooSource

pytestmark = pytest.mark.django_db

AFTER_CLOSE = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # Monday 2026-11-23, 19:00 New York
DURING_SESSION = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 New York
NOVEMBER = [
    ("2026-11-18", 600.0, 605.0, 598.0, 603.0, 603.0, 1000),
    ("2026-11-19", 603.0, 607.0, 601.0, 606.0, 606.0, 1100),
    ("2026-11-20", 606.0, 610.0, 604.0, 609.0, 609.0, 1200),
    ("2026-11-23", 609.0, 611.0, 607.0, 608.0, 608.0, 900),
]


class Tickers:
    def __init__(self, answer):
        self.answer = answer
        self.made: list[FakeTicker] = []

    def __call__(self, symbol):
        ticker = FakeTicker(self.answer)
        self.made.append(ticker)
        return ticker


def use_yahoo(answer) -> Tickers:
    tickers = Tickers(answer)
    register_source("yahoo", YahooSource(ticker_factory=tickers, min_interval_seconds=0, sleep=lambda s: None))
    return tickers


def use_unconfigured_schwab(monkeypatch, tmp_path) -> None:
    for name in ("SCHWAB_API_KEY", "SCHWAB_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    register_source("schwab", SchwabSource(token_path=tmp_path / "missing.json"))


def test_the_last_completed_session_waits_for_the_close():
    assert last_completed_session(AFTER_CLOSE) == date(2026, 11, 23)
    assert last_completed_session(DURING_SESSION) == date(2026, 11, 20)
    assert last_completed_session(datetime(2026, 11, 22, 12, tzinfo=UTC)) == date(2026, 11, 20)  # Sunday


def test_a_sync_stores_yahoo_bars_and_records_coverage_and_audit():
    use_yahoo(yahoo_frame(NOVEMBER))
    [result] = market_data_sync(symbols=["qqq"], source="yahoo", start=date(2026, 11, 18), now=AFTER_CLOSE)
    assert result.ok and result.summary.inserted == 4 and result.source == "yahoo"
    assert MarketData.objects.filter(symbol="QQQ", data_source="yahoo").count() == 4
    meta = DataMetadata.objects.get(symbol="QQQ")
    assert meta.last_bar_at == datetime(2026, 11, 23, tzinfo=UTC) and meta.last_sync_at == AFTER_CLOSE
    audit = DataAuditLog.objects.get(operation=AuditOperation.SYNC)
    assert audit.outcome == AuditOutcome.SUCCESS and audit.details["requested_source"] == "yahoo"


def test_a_sync_without_start_continues_after_the_last_stored_bar():
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="yahoo", now=AFTER_CLOSE,
                           raw_bars=[RawBar("2026-11-18", "600", "605", "598", "603", "1000")])  # fmt: skip
    tickers = use_yahoo(yahoo_frame(NOVEMBER))
    [result] = market_data_sync(symbols=["QQQ"], source="yahoo", now=AFTER_CLOSE)
    assert tickers.made[0].calls[0]["start"] == "2026-11-19"
    assert result.start == date(2026, 11, 19) and result.end == date(2026, 11, 23)
    assert (result.summary.inserted, result.summary.skipped_duplicate) == (3, 1)


def test_a_symbol_already_up_to_date_is_not_fetched():
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="yahoo", now=AFTER_CLOSE,
                           raw_bars=[RawBar("2026-11-23", "600", "605", "598", "603", "1000")])  # fmt: skip
    tickers = use_yahoo(yahoo_frame(NOVEMBER))
    [result] = market_data_sync(symbols=["QQQ"], source="yahoo", now=AFTER_CLOSE)
    assert tickers.made == [] and "already up to date" in result.line()
    assert DataAuditLog.objects.filter(operation=AuditOperation.SYNC, outcome=AuditOutcome.NO_CHANGE).exists()


def test_the_bar_of_a_session_still_trading_is_never_stored():
    use_yahoo(yahoo_frame(NOVEMBER))
    [result] = market_data_sync(symbols=["QQQ"], source="yahoo", start=date(2026, 11, 18), now=DURING_SESSION)
    assert result.end == date(2026, 11, 20)
    assert result.summary.inserted == 3 and result.summary.ignored_unfinished == 1
    assert not MarketData.objects.filter(timestamp=datetime(2026, 11, 23, tzinfo=UTC)).exists()


def test_an_unreachable_source_fails_that_symbol_with_a_clear_message_and_an_audit_row():
    use_yahoo(CurlConnectionError("Could not resolve host: query2.finance.yahoo.com"))
    [result] = market_data_sync(symbols=["QQQ"], source="yahoo", start=date(2026, 11, 18), now=AFTER_CLOSE)
    assert not result.ok and "Could not resolve host" in result.error and "FAILED" in result.line()
    audit = DataAuditLog.objects.get(operation=AuditOperation.SYNC)
    assert audit.outcome == AuditOutcome.FAILED and "Could not resolve host" in audit.message


def test_auto_falls_back_to_yahoo_when_schwab_is_unavailable(monkeypatch, tmp_path):
    use_unconfigured_schwab(monkeypatch, tmp_path)
    use_yahoo(yahoo_frame(NOVEMBER))
    [result] = market_data_sync(symbols=["QQQ"], start=date(2026, 11, 18), now=AFTER_CLOSE)
    assert result.ok and result.source == "yahoo"
    assert "schwab: Schwab API credentials are not configured" in result.failures[0]
    assert "fell back" in result.line()
    audit = DataAuditLog.objects.get(operation=AuditOperation.SYNC)
    assert audit.data_source == "yahoo" and audit.details["fallback_failures"]


@respx.mock
def test_fetch_with_fallback_uses_schwab_when_it_answers():
    token = {"creation_timestamp": 1, "token": {"access_token": "a", "refresh_token": "r", "token_type": "Bearer",
                                                 "expires_at": 4102444800}}  # fmt: skip
    register_source("schwab", SchwabSource(api_key="k", app_secret="s", token_read=lambda: token))
    tickers = use_yahoo(yahoo_frame(NOVEMBER))
    candles = {"symbol": "QQQ", "empty": False, "candles": [
        {"open": 1, "high": 2, "low": 0.5, "close": 1.5, "volume": 10, "datetime": 1763704800000}]}  # fmt: skip
    respx.get("https://api.schwabapi.com/marketdata/v1/pricehistory").mock(
        return_value=httpx.Response(200, json=candles)
    )
    result = fetch_with_fallback("QQQ", "1D", date(2025, 11, 21), date(2025, 11, 21))
    assert result.source == "schwab" and len(result.bars) == 1 and result.failures == []
    assert tickers.made == []


@respx.mock
def test_fetch_with_fallback_reports_both_failures_when_neither_source_answers(monkeypatch, tmp_path):
    use_unconfigured_schwab(monkeypatch, tmp_path)
    use_yahoo(yahoo_frame([]))
    with pytest.raises(SourceUnavailable) as caught:
        fetch_with_fallback("QQQ", "1D", date(2026, 11, 18), date(2026, 11, 20))
    message = str(caught.value)
    assert "schwab: Schwab API credentials" in message and "yahoo: Yahoo Finance returned no" in message


def test_fetch_with_fallback_follows_the_configured_sources(monkeypatch):
    monkeypatch.setenv("DATA_PRIMARY_SOURCE", "synthetic")
    result = fetch_with_fallback("QQQ", "1D", date(2020, 1, 2), date(2020, 1, 3))
    assert result.source == "synthetic" and len(result.bars) == 2


def test_a_sync_refuses_an_unknown_source_and_an_inverted_range():
    with pytest.raises(InvalidParameter, match="unknown sync source 'csv'"):
        market_data_sync(symbols=["QQQ"], source="csv", now=AFTER_CLOSE)
    with pytest.raises(InvalidParameter, match="after --end"):
        market_data_sync(symbols=["QQQ"], start=date(2020, 2, 1), end=date(2020, 1, 1), now=AFTER_CLOSE)


def test_one_failing_symbol_does_not_stop_the_others(monkeypatch):
    calls = []

    def factory(symbol):
        calls.append(symbol)
        return FakeTicker(yahoo_frame([]) if symbol == "NOPE" else yahoo_frame(NOVEMBER))

    register_source("yahoo", YahooSource(ticker_factory=factory, min_interval_seconds=0))
    results = market_data_sync(symbols=["NOPE", "QQQ"], source="yahoo", start=date(2026, 11, 18), now=AFTER_CLOSE)
    assert [r.ok for r in results] == [False, True] and calls == ["NOPE", "QQQ"]


def test_real_bars_are_not_synced_into_a_synthetic_series():
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="synthetic", now=AFTER_CLOSE,
                           raw_bars=[RawBar("2026-11-17", "600", "605", "598", "603", "1000")])  # fmt: skip
    use_yahoo(yahoo_frame(NOVEMBER))
    [result] = market_data_sync(symbols=["QQQ"], source="yahoo", now=AFTER_CLOSE)
    assert not result.ok and "holds synthetic demo bars" in result.error
    assert MarketData.objects.count() == 1
