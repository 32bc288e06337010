"""The Schwab broker client and the live quote sources: real schwab-py, HTTP answered by respx."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pandas as pd
import pytest
import respx
import time_machine

from tests.trading.fakes import FakeTicker
from tests.trading.schwab import (
    ACCOUNT,
    ACCOUNT_HASH,
    ACCOUNT_NUMBERS,
    ORDERS,
    QUOTES,
    TOKEN_ENDPOINT,
    answer,
    fixture,
    order_location,
    schwab_order,
    store_token,
)
from trading.broker.connection import schwab_broker
from trading.broker.errors import BrokerError, BrokerNotConnected, OrderRejected
from trading.models import BrokerToken
from trading.quotes import FallbackQuoteSource, quote_source_live
from trading.quotes.schwab import SchwabQuoteSource
from trading.quotes.yahoo import YahooQuoteSource
from trading.sources.base import SourceUnavailable

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schwab_credentials")]

NOW = datetime(2026, 11, 24, 14, 45, tzinfo=UTC)  # Tuesday 09:45 New York
AFTER_CLOSE = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)  # 16:05 New York


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def logged_in():
    return store_token(issued_at=NOW - timedelta(days=1), account_hash=ACCOUNT_HASH)


# ── quotes ─────────────────────────────────────────────────────────────────────────────────────────


@respx.mock
def test_quotes_are_the_last_trade_with_the_session_so_far(logged_in):
    route = respx.get(QUOTES).mock(return_value=answer("schwab_quotes.json"))

    found = SchwabQuoteSource().quotes(["QQQ", "TQQQ", "ZZZZ"], at=NOW)

    assert route.calls.last.request.url.params["symbols"] == "QQQ,TQQQ,ZZZZ"
    assert set(found) == {"QQQ", "TQQQ"}, "a symbol Schwab does not know is absent"
    qqq = found["QQQ"]
    assert (qqq.price, qqq.open, qqq.high, qqq.low, qqq.volume) == (
        Decimal("500.12"),
        Decimal("498.4"),
        Decimal("501.52"),
        Decimal("497.2"),
        8734521,
    )
    assert qqq.at == NOW and qqq.source == "schwab" and not qqq.final
    assert found["TQQQ"].price == Decimal("80.25")


@respx.mock
def test_after_the_close_a_quote_is_the_days_bar_at_the_regular_close(frozen):
    frozen.move_to(AFTER_CLOSE)
    store_token(issued_at=AFTER_CLOSE - timedelta(days=1), account_hash=ACCOUNT_HASH)
    respx.get(QUOTES).mock(return_value=answer("schwab_quotes_after_close.json"))

    qqq = SchwabQuoteSource().quotes(["QQQ"], at=AFTER_CLOSE)["QQQ"]

    assert qqq.final
    assert qqq.price == Decimal("500.31"), "the regular session's last trade, not after-hours nor the previous close"
    assert (qqq.open, qqq.high, qqq.low, qqq.volume) == (Decimal("498.4"), Decimal("502.9"), Decimal("497.2"), 41877215)


@respx.mock
def test_a_refused_token_makes_schwab_quotes_unavailable_and_the_chain_falls_back_to_yahoo(logged_in, monkeypatch):
    respx.get(QUOTES).mock(return_value=httpx.Response(401, json={"error": "invalid_token"}))
    monkeypatch.setenv("DATA_PRIMARY_SOURCE", "schwab")
    monkeypatch.setenv("DATA_FALLBACK_SOURCE", "yahoo")
    yahoo = YahooQuoteSource(ticker_factory=lambda symbol: FakeTicker(_minute_frame()), sleep=lambda s: None)
    from trading.quotes import base

    monkeypatch.setitem(base._factories, "yahoo", lambda: yahoo)

    with pytest.raises(SourceUnavailable, match="log in to Schwab again") as caught:
        SchwabQuoteSource().quotes(["QQQ"], at=NOW)
    assert caught.value.permanent

    chain = quote_source_live()
    assert isinstance(chain, FallbackQuoteSource)
    found = chain.quotes(["QQQ"], at=NOW)
    assert found["QQQ"].source == "yahoo" and "log in to Schwab again" in chain.failures[0]


def test_without_a_login_schwab_quotes_are_unavailable():
    with pytest.raises(SourceUnavailable, match="no Schwab token is stored"):
        SchwabQuoteSource().quotes(["QQQ"], at=NOW)


# ── Yahoo quotes (yfinance behind a fake: curl_cffi cannot be intercepted) ───────────────────────────


def _minute_frame() -> pd.DataFrame:
    """Three 1-minute bars of 2026-11-24 like ``Ticker.history(interval="1m")``; the last one is after 09:45."""
    stamps = pd.DatetimeIndex(
        [pd.Timestamp("2026-11-24 09:30"), pd.Timestamp("2026-11-24 09:44"), pd.Timestamp("2026-11-24 09:46")]
    ).tz_localize("America/New_York")
    rows = [
        (498.4, 499.0, 498.1, 498.8, 498.8, 900000),
        (499.9, 500.3, 499.7, 500.1, 500.1, 120000),
        (500.2, 503.0, 500.0, 502.5, 502.5, 110000),
    ]
    return pd.DataFrame(rows, index=stamps, columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"])


def test_yahoo_quotes_use_the_minute_bars_up_to_the_moment_only():
    ticker = FakeTicker(_minute_frame())
    found = YahooQuoteSource(ticker_factory=lambda symbol: ticker, sleep=lambda s: None).quotes(["QQQ"], at=NOW)
    qqq = found["QQQ"]
    assert qqq.price == Decimal("500.1"), "the 09:46 bar is after the as-of moment"
    assert (qqq.open, qqq.high, qqq.low, qqq.volume) == (Decimal("498.4"), Decimal("500.3"), Decimal("498.1"), 1020000)
    assert not qqq.final and qqq.source == "yahoo"
    assert ticker.calls[0]["interval"] == "1m" and ticker.calls[0]["auto_adjust"] is False


def test_yahoo_quotes_after_the_close_are_the_days_bar():
    daily = pd.DataFrame(
        [(497.0, 499.0, 495.1, 497.85, 497.85, 39000000), (498.4, 502.9, 497.2, 500.31, 500.31, 41877215)],
        index=pd.DatetimeIndex([pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-24")]).tz_localize(
            "America/New_York"
        ),
        columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"],
    )
    ticker = FakeTicker(daily)
    qqq = YahooQuoteSource(ticker_factory=lambda symbol: ticker, sleep=lambda s: None).quotes(["QQQ"], at=AFTER_CLOSE)
    assert qqq["QQQ"].final and qqq["QQQ"].price == Decimal("500.31") and qqq["QQQ"].volume == 41877215
    assert ticker.calls[0]["interval"] == "1d"


def test_yahoo_failures_are_source_unavailable_and_requests_are_spaced():
    from curl_cffi.curl import CurlError

    sleeps: list[float] = []
    source = YahooQuoteSource(
        ticker_factory=lambda symbol: FakeTicker(_minute_frame()), clock=lambda: 0.0, sleep=sleeps.append
    )
    source.quotes(["QQQ", "TQQQ"], at=NOW)
    assert sleeps == [0.5], "the second request waits for the throttle"
    broken = YahooQuoteSource(ticker_factory=lambda symbol: FakeTicker(CurlError("timed out")), sleep=lambda s: None)
    with pytest.raises(SourceUnavailable, match="timed out"):
        broken.quotes(["QQQ"], at=NOW)


# ── account ────────────────────────────────────────────────────────────────────────────────────────


@respx.mock
def test_a_cash_accounts_balances_and_positions(logged_in):
    route = respx.get(ACCOUNT).mock(return_value=answer("schwab_account_cash.json"))
    account = schwab_broker().account()
    assert route.calls.last.request.url.params["fields"] == "positions"
    assert account.account_type == "CASH" and account.buying_power == Decimal("20000.0")
    assert account.liquidation_value == Decimal("29495.0")
    assert set(account.positions) == {"TLT"}, "cash equivalents are not positions"
    tlt = account.positions["TLT"]
    assert (tlt.qty, tlt.avg_price, tlt.market_value) == (Decimal("100.0"), Decimal("91.2345"), Decimal("9245.0"))


@respx.mock
def test_a_margin_account_offers_its_available_funds_never_margin(logged_in):
    respx.get(ACCOUNT).mock(return_value=answer("schwab_account_margin.json"))
    account = schwab_broker().account()
    assert account.buying_power == Decimal("4210.55"), "not buyingPower (8421.10, borrowed)"
    assert account.positions["QQQ"].qty == 20


@respx.mock
def test_without_a_configured_account_the_logins_first_is_used_and_remembered(frozen):
    store_token(issued_at=NOW - timedelta(days=1))
    numbers = respx.get(ACCOUNT_NUMBERS).mock(return_value=answer("schwab_account_numbers.json"))
    respx.get(ACCOUNT).mock(return_value=answer("schwab_account_cash.json"))
    schwab_broker().account()
    assert BrokerToken.objects.get().account_hash == ACCOUNT_HASH
    schwab_broker().account()
    assert numbers.call_count == 1


# ── orders ─────────────────────────────────────────────────────────────────────────────────────────


@respx.mock
def test_a_market_order_is_whole_shares_for_the_day_and_its_id_comes_from_location(logged_in):
    route = respx.post(ORDERS).mock(return_value=httpx.Response(201, headers=order_location(1000000001)))
    assert schwab_broker().place_market_order("QQQ", "SELL", 7) == "1000000001"
    assert json.loads(route.calls.last.request.content) == {
        "orderType": "MARKET",
        "session": "NORMAL",
        "duration": "DAY",
        "orderStrategyType": "SINGLE",
        "orderLegCollection": [
            {"instruction": "SELL", "quantity": 7, "instrument": {"symbol": "QQQ", "assetType": "EQUITY"}}
        ],
    }


@respx.mock
def test_an_order_schwab_refuses_is_rejected_with_its_reason(logged_in):
    respx.post(ORDERS).mock(return_value=answer("schwab_error_order_validation.json", status=400))
    with pytest.raises(OrderRejected, match="validation error occurred") as caught:
        schwab_broker().place_market_order("QQQ", "BUY", 7)
    assert caught.value.permanent


@respx.mock
def test_an_orders_executions_are_read_with_decimal_prices(logged_in):
    respx.get(f"{ORDERS}/1000000001").mock(return_value=answer("schwab_order_filled.json"))
    order = schwab_broker().order("1000000001")
    assert (order.symbol, order.side, order.qty, order.filled_qty, order.status) == ("QQQ", "BUY", 10, 10, "FILLED")
    assert [(e.qty, e.price) for e in order.executions] == [(6, Decimal("500.05")), (4, Decimal("500.07"))]
    assert order.executions[0].at == datetime(2026, 11, 24, 14, 45, 2, tzinfo=UTC)
    assert order.avg_price == Decimal("500.058")
    assert order.entered_at == datetime(2026, 11, 24, 14, 45, 1, tzinfo=UTC)


@respx.mock
def test_the_days_orders_are_listed_oldest_first(logged_in):
    route = respx.get(ORDERS).mock(
        return_value=httpx.Response(
            200,
            json=[
                schwab_order(1000000003, "TQQQ", "BUY", 5, entered="2026-11-24T14:46:00+0000"),
                schwab_order(1000000002, "QQQ", "SELL", 3, status="CANCELED", entered="2026-11-24T14:45:30+0000"),
            ],
        )
    )
    orders = schwab_broker().orders(NOW - timedelta(hours=1), NOW)
    assert [o.order_id for o in orders] == ["1000000002", "1000000003"]
    params = route.calls.last.request.url.params
    assert params["fromEnteredTime"].startswith("2026-11-24T13:45:00") and params["toEnteredTime"].startswith(
        "2026-11-24T14:45:00"
    )


@respx.mock
@pytest.mark.parametrize(
    "response, permanent, message",
    [
        (httpx.Response(401, json={"error": "invalid_token"}), True, "log in to Schwab again"),
        (httpx.Response(403, json={"message": "forbidden"}), True, "log in to Schwab again"),
        (httpx.Response(429), False, "rate limit"),
        (httpx.Response(502, text="Bad Gateway"), False, "HTTP 502"),
        (httpx.Response(404, json={"message": "Order not found"}), True, "Order not found"),
    ],
)
def test_errors_say_whether_retrying_can_help(logged_in, response, permanent, message):
    respx.get(f"{ORDERS}/1000000001").mock(return_value=response)
    with pytest.raises(BrokerError, match=message) as caught:
        schwab_broker().order("1000000001")
    assert caught.value.permanent is permanent


@respx.mock
def test_a_network_failure_is_transient(logged_in):
    respx.get(f"{ORDERS}/1000000001").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(BrokerError, match="could not be reached") as caught:
        schwab_broker().order("1000000001")
    assert not caught.value.permanent


@respx.mock
def test_a_refresh_schwab_refuses_asks_for_a_new_login(frozen):
    store_token(issued_at=NOW - timedelta(days=3), access_valid_for=timedelta(seconds=-5), account_hash=ACCOUNT_HASH)
    respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_invalid_grant.json", status=400))
    with pytest.raises(BrokerNotConnected, match="log in to Schwab again"):
        schwab_broker().order("1000000001")


def test_an_expired_refresh_token_is_refused_before_any_request(frozen):
    store_token(issued_at=NOW - timedelta(days=7, minutes=1), account_hash=ACCOUNT_HASH)
    with pytest.raises(BrokerNotConnected, match=r"refresh token expired on 2026-11-24 14:44 UTC"):
        schwab_broker().account()


def test_the_recorded_order_fixture_is_a_single_leg_equity_order():
    assert fixture("schwab_order_filled.json")["orderLegCollection"][0]["orderLegType"] == "EQUITY"
