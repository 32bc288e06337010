"""The Schwab adapter: real schwab-py client, HTTP answered by respx with recorded responses."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from jutsu.errors import InvalidParameter
from tests.trading.conftest import FIXTURES
from tests.trading.schwab import store_token
from trading.marketdata.validation import validate_bars
from trading.sources.base import SourceUnavailable
from trading.sources.schwab import SchwabSource

PRICE_HISTORY = "https://api.schwabapi.com/marketdata/v1/pricehistory"
TOKEN_ENDPOINT = "https://api.schwabapi.com/v1/oauth/token"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def stored_token(*, expires_in: int = 1800) -> dict:
    """The token file schwab-py writes: metadata around the OAuth token."""
    now = int(time.time())
    return {
        "creation_timestamp": now - 3600,
        "token": {
            "access_token": "I0.b2F1dGgyLmNkYy5zY2h3YWIuY29t.current",
            "refresh_token": "Z5.cmVmcmVzaA.same-refresh",
            "id_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.sig",
            "token_type": "Bearer",
            "expires_in": 1800,
            "scope": "api",
            "expires_at": now + expires_in,
        },
    }


@pytest.fixture
def written() -> list[dict]:
    return []


@pytest.fixture
def source(written) -> SchwabSource:
    token = stored_token()
    return SchwabSource(api_key="app-key-123", app_secret="app-secret-456", token_read=lambda: token,
                        token_write=lambda t, *a, **k: written.append(t))  # fmt: skip


@respx.mock
def test_daily_history_is_requested_for_the_range_and_candles_map_to_trading_dates(source):
    route = respx.get(PRICE_HISTORY).mock(
        return_value=httpx.Response(200, json=fixture("schwab_pricehistory_qqq_daily.json"))
    )
    bars = source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))

    request = route.calls.last.request
    params = request.url.params
    assert params["symbol"] == "QQQ" and params["frequencyType"] == "daily" and params["periodType"] == "year"
    assert int(params["startDate"]) == int(datetime(2019, 7, 15, 4, tzinfo=UTC).timestamp() * 1000)  # 00:00 New York
    assert params["needExtendedHoursData"] == "false"
    assert request.headers["Authorization"] == "Bearer I0.b2F1dGgyLmNkYy5zY2h3YWIuY29t.current"

    checked = validate_bars(bars, timeframe="1D", now=NOW)
    assert [b.timestamp.date() for b in checked.bars] == [date(2019, 7, d) for d in range(15, 20)]
    assert checked.bars[-1].close == Decimal("191.01")
    assert checked.bars[-1].high == Decimal("193.84"), "Schwab's copy of the 2019-07-19 quirk is repaired too"


@respx.mock
def test_fifteen_minute_candles_keep_their_instant(source):
    route = respx.get(PRICE_HISTORY).mock(
        return_value=httpx.Response(200, json=fixture("schwab_pricehistory_qqq_15m.json"))
    )
    bars = source.fetch_bars("QQQ", "15m", date(2019, 7, 19), date(2019, 7, 19))
    params = route.calls.last.request.url.params
    assert params["frequencyType"] == "minute" and params["frequency"] == "15"
    checked = validate_bars(bars, timeframe="15m", now=NOW)
    assert checked.bars[0].timestamp == datetime(2019, 7, 19, 13, 30, tzinfo=UTC)


@respx.mock
def test_an_empty_history_returns_no_bars(source):
    respx.get(PRICE_HISTORY).mock(return_value=httpx.Response(200, json=fixture("schwab_pricehistory_empty.json")))
    assert source.fetch_bars("ZZZZ", "1D", date(2019, 7, 15), date(2019, 7, 19)) == []


@respx.mock
def test_an_expired_access_token_is_refreshed_and_written_back_before_the_request(written):
    token = stored_token(expires_in=-10)
    source = SchwabSource(api_key="app-key-123", app_secret="app-secret-456", token_read=lambda: token,
                          token_write=lambda t, *a, **k: written.append(t))  # fmt: skip
    refresh = respx.post(TOKEN_ENDPOINT).mock(
        return_value=httpx.Response(200, json=fixture("schwab_token_refresh.json"))
    )
    history = respx.get(PRICE_HISTORY).mock(
        return_value=httpx.Response(200, json=fixture("schwab_pricehistory_qqq_daily.json"))
    )

    source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))

    assert b"grant_type=refresh_token" in refresh.calls.last.request.content
    assert written and written[0]["token"]["access_token"].endswith(".refreshed")
    assert written[0]["creation_timestamp"] == token["creation_timestamp"]
    assert history.calls.last.request.headers["Authorization"].endswith(".refreshed")


@respx.mock
def test_a_refused_token_is_a_permanent_unavailability_asking_for_a_new_login(source):
    respx.get(PRICE_HISTORY).mock(return_value=httpx.Response(401, json={"error": "invalid_token"}))
    with pytest.raises(SourceUnavailable, match="log in to Schwab again") as caught:
        source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))
    assert caught.value.permanent and caught.value.source == "schwab"


@respx.mock
def test_a_bad_request_reports_schwabs_error_detail(source):
    respx.get(PRICE_HISTORY).mock(return_value=httpx.Response(400, json=fixture("schwab_error_400.json")))
    with pytest.raises(SourceUnavailable, match=r"HTTP 400.*Invalid value for parameter: startDate"):
        source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))


@respx.mock
def test_a_server_error_and_a_rate_limit_are_transient(source):
    respx.get(PRICE_HISTORY).mock(side_effect=[httpx.Response(503, text="Service Unavailable"), httpx.Response(429)])
    with pytest.raises(SourceUnavailable, match="HTTP 503") as first:
        source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))
    with pytest.raises(SourceUnavailable, match="rate limit") as second:
        source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))
    assert not first.value.permanent and not second.value.permanent


@respx.mock
def test_a_connection_failure_is_source_unavailable(source):
    respx.get(PRICE_HISTORY).mock(side_effect=httpx.ConnectError("Name or service not known"))
    with pytest.raises(SourceUnavailable, match="Name or service not known"):
        source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))


def test_missing_credentials_are_reported_without_any_request(monkeypatch, tmp_path):
    for name in ("SCHWAB_API_KEY", "SCHWAB_APP_SECRET", "SCHWAB_API_KEY_FILE", "SCHWAB_APP_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SourceUnavailable, match="SCHWAB_API_KEY") as caught:
        SchwabSource(token_path=tmp_path / "t.json").fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))
    assert caught.value.permanent


def test_a_missing_token_file_asks_for_a_login(monkeypatch, tmp_path):
    monkeypatch.setenv("SCHWAB_API_KEY", "k")
    monkeypatch.setenv("SCHWAB_APP_SECRET", "s")
    monkeypatch.setenv("SCHWAB_TOKEN_PATH", str(tmp_path / "none.json"))
    with pytest.raises(SourceUnavailable, match=r"no Schwab token at .*none\.json"):
        SchwabSource().fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))


@respx.mock
def test_a_token_file_is_read_and_refreshed_tokens_are_written_to_it(monkeypatch, tmp_path):
    path = tmp_path / "schwab_token.json"
    path.write_text(json.dumps(stored_token(expires_in=-10)))
    respx.post(TOKEN_ENDPOINT).mock(return_value=httpx.Response(200, json=fixture("schwab_token_refresh.json")))
    respx.get(PRICE_HISTORY).mock(return_value=httpx.Response(200, json=fixture("schwab_pricehistory_empty.json")))
    source = SchwabSource(api_key="k", app_secret="s", token_path=path)
    source.fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))
    assert json.loads(path.read_text())["token"]["access_token"].endswith(".refreshed")


def test_a_token_in_the_legacy_format_is_refused_clearly(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(stored_token()["token"]))
    with pytest.raises(SourceUnavailable, match="token cannot be used"):
        SchwabSource(api_key="k", app_secret="s", token_path=path).fetch_bars(
            "QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19)
        )


def test_hourly_bars_are_not_offered_by_schwab(source):
    with pytest.raises(InvalidParameter, match="no 1H candles"):
        source.fetch_bars("QQQ", "1H", date(2019, 7, 15), date(2019, 7, 19))


# ── the database token store (what the Schwab login fills) ────────────────────────────────────────


@pytest.mark.django_db
@respx.mock
def test_by_default_the_stored_token_is_used_and_a_refresh_is_written_back_encrypted(schwab_credentials):
    from datetime import timedelta

    from django.utils import timezone

    from trading.broker.tokens import schwab_token_read
    from trading.models import BrokerToken

    login = timezone.now() - timedelta(days=2)
    store_token(issued_at=login, access_valid_for=timedelta(seconds=-10))
    refresh = respx.post(TOKEN_ENDPOINT).mock(
        return_value=httpx.Response(200, json=fixture("schwab_token_refresh.json"))
    )
    history = respx.get(PRICE_HISTORY).mock(
        return_value=httpx.Response(200, json=fixture("schwab_pricehistory_qqq_daily.json"))
    )

    SchwabSource().fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))

    assert b"refresh_token=Z5.cmVmcmVzaC1zdG9yZWQ.stored-refresh" in refresh.calls.last.request.content
    assert history.calls.last.request.headers["Authorization"].endswith(".refreshed")
    stored = schwab_token_read()
    assert stored["token"]["access_token"].endswith(".refreshed")
    assert stored["creation_timestamp"] == int(login.timestamp()), "a refresh keeps the login instant"
    assert ".refreshed" not in BrokerToken.objects.get().token_encrypted


@pytest.mark.django_db
def test_without_a_stored_token_the_source_asks_for_a_login(schwab_credentials):
    with pytest.raises(SourceUnavailable, match="no Schwab token is stored: log in to Schwab") as caught:
        SchwabSource().fetch_bars("QQQ", "1D", date(2019, 7, 15), date(2019, 7, 19))
    assert caught.value.permanent
