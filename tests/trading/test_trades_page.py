"""The trades page: filters, pagination, statistics, CSV export link, empty states, bounded queries."""

from __future__ import annotations

from datetime import date

import pytest

from tests.performance.pages_seed import page_html, strategy_create
from tests.trading.dashboard_seed import trades_bulk_create
from tests.trading.ledger_helpers import trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategies():
    strategy_create("alpha", display_name="Alpha strategy", primary=True)
    strategy_create("beta", display_name="Beta strategy", order=2)


def test_viewer_sees_trades_booked_by_the_ledger_with_their_statistics(viewer_client, strategies):
    trade("alpha", "BUY", "TQQQ", 10, "50.00", date(2024, 3, 4))
    trade("alpha", "SELL", "TQQQ", 4, "60.00", date(2024, 3, 5))
    html = page_html(viewer_client.get("/trades/"))
    assert html.count('data-trade-id="') == 2
    assert "Alpha strategy" in html and "TQQQ" in html and "BUY" in html and "SELL" in html
    # the sell closed 4 shares bought at 50 (+0.01 commission per share) for 60 (−0.10): a winning trade
    assert "Closing trades" in html and "100.0%" in html
    assert 'href="/api/trades/export"' in html


def test_filters_narrow_trades_statistics_and_the_export_link(viewer_client, strategies):
    trades_bulk_create("alpha", 9)
    trades_bulk_create("beta", 4, mode="dry_run", symbols=("PSQ",))
    html = page_html(viewer_client.get("/trades/", {"strategy": "alpha", "symbol": "tqqq"}))
    assert html.count('data-trade-id="') == 3  # alpha's TQQQ trades: every third of nine
    assert "PSQ" not in html.split('id="trades-live"')[1]
    assert "/api/trades/export?strategy_id=alpha&amp;symbol=TQQQ" in html
    assert "3 trades match the filters" in html
    by_mode = page_html(viewer_client.get("/trades/", {"mode": "dry_run"}))
    assert by_mode.count('data-trade-id="') == 4 and "Beta strategy" in by_mode
    dated = page_html(viewer_client.get("/trades/", {"start": "2024-03-04", "end": "2024-03-05"}))
    assert dated.count('data-trade-id="') == 4  # two days, one trade per strategy each


def test_an_invalid_filter_is_shown_and_ignored(viewer_client, strategies):
    trades_bulk_create("alpha", 3)
    html = page_html(viewer_client.get("/trades/", {"start": "2024-03-09", "end": "2024-03-01", "symbol": "$$$"}))
    assert "is after the end date" in html and "symbol:" in html
    assert html.count('data-trade-id="') == 1  # start and symbol ignored; the end date (Mar 1) kept


def test_trades_are_paginated_newest_first_keeping_the_filters(viewer_client, strategies):
    rows = trades_bulk_create("alpha", 120)
    first = page_html(viewer_client.get("/trades/", {"strategy": "alpha"}))
    assert first.count('data-trade-id="') == 50
    assert f'data-trade-id="{rows[-1].pk}"' in first and "Page 1 of 3" in first
    assert "?strategy=alpha&amp;page=2" in first
    last = page_html(viewer_client.get("/trades/", {"strategy": "alpha", "page": 3}))
    assert last.count('data-trade-id="') == 20 and f'data-trade-id="{rows[0].pk}"' in last
    assert page_html(viewer_client.get("/trades/", {"page": "junk"})).count('data-trade-id="') == 50


def test_the_page_reads_a_bounded_number_of_queries_whatever_the_trades(
    viewer_client, strategies, django_assert_max_num_queries
):
    trades_bulk_create("alpha", 5)
    viewer_client.get("/trades/")  # both counts are taken with every cache warm
    with django_assert_max_num_queries(12) as few:
        viewer_client.get("/trades/")
    trades_bulk_create("beta", 200)
    with django_assert_max_num_queries(12) as many:
        viewer_client.get("/trades/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_empty_states_name_the_next_step(viewer_client, admin_client, strategies):
    html = page_html(admin_client.get("/trades/"))
    assert "No trades yet" in html and "engine start --mode paper" in html
    for_viewer = page_html(viewer_client.get("/trades/"))
    assert "an admin starts it in paper mode" in for_viewer and "manage.py" not in for_viewer
    filtered = page_html(viewer_client.get("/trades/", {"symbol": "TLT"}))
    assert "No trades match these filters" in filtered and "clear the filters" in filtered


def test_admin_sees_the_page_and_anonymous_is_sent_to_sign_in(admin_client, client, strategies):
    trades_bulk_create("alpha", 2)
    assert page_html(admin_client.get("/trades/")).count('data-trade-id="') == 2
    response = client.get("/trades/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_navigation_links_the_trades_page(viewer_client, strategies):
    html = page_html(viewer_client.get("/trades/"))
    assert 'href="/trades/" class="active" aria-current="page">Trades<' in html
    assert ">Control<" not in html  # admins only
