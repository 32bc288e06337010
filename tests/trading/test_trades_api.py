"""Trades API: filters, pagination, detail, statistics, CSV — for viewers, with bounded queries."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from tests.trading.ledger_helpers import trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def trades():
    """v3_5b/paper: buy 10 QQQ @100, sell 4 @110 (win), sell 6 @95 (loss); v3_5d/paper buys TQQQ; a dry-run-free
    offline_mock trade of v3_5b."""
    rows = [
        trade("v3_5b", "BUY", "QQQ", 10, "100", date(2020, 6, 25)),
        trade("v3_5b", "SELL", "QQQ", 4, "110", date(2020, 6, 26)),
        trade("v3_5b", "SELL", "QQQ", 6, "95", date(2020, 6, 29)),
        trade("v3_5d", "BUY", "TQQQ", 5, "80", date(2020, 6, 29)),
        trade("v3_5b", "BUY", "TLT", 3, "160", date(2020, 6, 30), mode="offline_mock"),
    ]
    return rows


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_viewers_list_trades_newest_first_with_filters_and_pages(viewer_api, trades, django_assert_num_queries):
    with django_assert_num_queries(2):  # count + page
        response = viewer_api.get("/api/trades", {"strategy_id": "v3_5b", "mode": "paper", "limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(t["action"], t["quantity"], t["trading_date"]) for t in body["results"]] == [
        ("SELL", "6.000000", "2020-06-29"),
        ("SELL", "4.000000", "2020-06-26"),
    ]
    assert body["results"][0]["strategy_cell"] == 1 and body["results"][0]["trend_state"] == "BullStrong"
    assert body["next"] and "offset=2" in body["next"]
    by_symbol = viewer_api.get("/api/trades", {"symbol": "tqqq"}).json()
    assert [t["strategy_id"] for t in by_symbol["results"]] == ["v3_5d"]
    ranged = viewer_api.get("/api/trades", {"start_date": "2020-06-26", "end_date": "2020-06-29"}).json()
    assert ranged["count"] == 3


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"mode": "live"}, "mode"),
        ({"start_date": "2020-07-01", "end_date": "2020-06-01"}, "start_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"limit": "0"}, "limit"),
        ({"symbol": "QQQ; DROP"}, "symbol"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_filters_are_400s_naming_the_parameter(viewer_api, params, named):
    response = viewer_api.get("/api/trades", params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{named}:")


def test_a_trade_in_detail_names_its_order(viewer_api, trades):
    sell = trades[1]
    with_order = viewer_api.get(f"/api/trades/{sell.pk}").json()
    assert with_order["client_order_id"] == "v3_5b:paper:2020-06-26:QQQ:SELL"
    assert with_order["order_status"] == "filled"
    assert Decimal(with_order["realized_pnl"]) == Decimal("39.860000")  # 4 × 110 − 0.10 − 4 × 100.01
    missing = viewer_api.get("/api/trades/999999")
    assert missing.status_code == 404 and missing.json()["detail"] == "trade 999999 does not exist"


def test_stats_count_wins_and_losses_of_the_closing_trades(viewer_api, trades, django_assert_num_queries):
    with django_assert_num_queries(2):
        body = viewer_api.get("/api/trades/stats", {"mode": "paper"}).json()
    assert (body["total"], body["buys"], body["sells"], body["closed"]) == (4, 2, 2, 2)
    assert (body["winning"], body["losing"], body["win_rate"]) == (1, 1, 0.5)
    # realised: (440 − 0.10 − 400.04) + (570 − 0.10 − 600.06) = 39.86 − 30.16
    assert Decimal(body["realized_pnl"]) == Decimal("9.700000")
    assert Decimal(body["commission"]) == Decimal("0.400000")
    assert [(g["strategy_id"], g["mode"], g["total"]) for g in body["by_strategy"]] == [
        ("v3_5b", "paper", 3),
        ("v3_5d", "paper", 1),
    ]
    empty = viewer_api.get("/api/trades/stats", {"strategy_id": "nobody"}).json()
    assert (empty["total"], empty["win_rate"], empty["realized_pnl"]) == (0, None, "0")


def test_export_streams_every_matching_trade_as_csv(viewer_api, trades, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = viewer_api.get("/api/trades/export", {"strategy_id": "v3_5b"})
        rows = _csv(response)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="trades-v3_5b.csv"' in response["Content-Disposition"]
    assert [(r["mode"], r["action"], r["symbol"]) for r in rows] == [
        ("offline_mock", "BUY", "TLT"),
        ("paper", "SELL", "QQQ"),
        ("paper", "SELL", "QQQ"),
        ("paper", "BUY", "QQQ"),
    ]
    assert rows[-1]["strategy_cell"] == "1" and rows[-1]["realized_pnl"] == ""


def test_the_list_as_csv_is_the_requested_page(viewer_api, trades):
    rows = _csv(viewer_api.get("/api/trades", {"format": "csv", "limit": 2, "offset": 1}))
    assert [(r["symbol"], r["trading_date"]) for r in rows] == [("TQQQ", "2020-06-29"), ("QQQ", "2020-06-29")]


def test_anonymous_callers_get_401(anon_api):
    for path in ("/api/trades", "/api/trades/stats", "/api/trades/export", "/api/trades/1"):
        assert anon_api.get(path).status_code == 401


@pytest.fixture
def held(monkeypatch):
    from strategies.services.registry import strategies_sync
    from tests.trading.ledger_helpers import live_quotes_at

    strategies_sync()
    live_quotes_at(monkeypatch, "120")
    return trade("v3_5b", "BUY", "QQQ", 10, "100", date(2020, 6, 25))


def test_an_admin_trades_manually_through_the_executor(admin_api, viewer_api, held):
    from trading.models import Position

    order = {"strategy_id": "v3_5b", "mode": "paper", "symbol": "qqq", "side": "SELL", "quantity": 4}
    assert viewer_api.post("/api/trades/execute", order, format="json").status_code == 403
    response = admin_api.post("/api/trades/execute", order, format="json")
    assert response.status_code == 201
    (sold,) = response.json()["trades"]
    assert (sold["action"], sold["quantity"], sold["reason"], sold["target_price"]) == (
        "SELL",
        "4.000000",
        "Manual",
        "120.000000",
    )
    assert Decimal(sold["fill_price"]) < Decimal("120")  # paper: the slippage model
    assert Position.objects.get(symbol="QQQ").quantity == 6
    detail = viewer_api.get(f"/api/trades/{sold['id']}").json()
    assert detail["client_order_id"].endswith(":QQQ:SELL:manual:1")


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"symbol": "AAPL"}, 400, "symbol: v3_5b trades"),
        ({"quantity": 11}, 400, "quantity: v3_5b holds 10.000000 QQQ in paper, cannot sell 11"),
        ({"quantity": 0}, 400, "quantity:"),
        ({"side": "SHORT"}, 400, "side:"),
        ({"mode": "offline_mock"}, 404, "v3_5b has never traded in offline_mock"),
        ({"mode": "online_live"}, 400, "confirm: a manual online_live trade trades real money"),
        ({"mode": "online_live", "confirm": "YES"}, 403, "a manual online_live trade needs a second factor"),
    ],
)
def test_manual_trades_are_validated(admin_api, held, change, status, detail):
    from trading.models import LiveTrade

    order = {"strategy_id": "v3_5b", "mode": "paper", "symbol": "QQQ", "side": "SELL", "quantity": 4, **change}
    response = admin_api.post("/api/trades/execute", order, format="json")
    assert response.status_code == status and response.json()["detail"].startswith(detail)
    assert LiveTrade.objects.count() == 1
