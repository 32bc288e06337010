"""Backtest pages (``/backtests/``, ``/backtests/<id>/``): access, content, empty states, query counts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from strategies import display
from strategies.models import BacktestStatus
from tests.performance.pages_seed import (
    backtest_run_create,
    chart_payload,
    config_override_create,
    coverage_create,
    page_html,
    strategy_create,
)

pytestmark = pytest.mark.django_db


def _chart_data(html: str) -> dict:
    return chart_payload(html, "backtest-chart-data")


@pytest.fixture
def strategy():
    return strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)


# --- access -------------------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(client, strategy):
    run = backtest_run_create(strategy)
    for url in ("/backtests/", f"/backtests/{run.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_viewer_and_admin_can_open_both_pages(viewer_client, admin_client, strategy):
    run = backtest_run_create(strategy)
    for client in (viewer_client, admin_client):
        page_html(client.get("/backtests/"))
        page_html(client.get(f"/backtests/{run.pk}/"))


def test_unknown_backtest_is_a_friendly_404(viewer_client):
    response = viewer_client.get("/backtests/999/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# --- list ---------------------------------------------------------------------------------------------------


def test_list_without_runs_shows_an_admin_a_command_over_the_stored_bars(admin_client, strategy):
    coverage_create(("QQQ", "TQQQ"), first=date(2014, 1, 2), last=date(2026, 11, 27))
    html = page_html(admin_client.get("/backtests/"))
    match = re.search(r"python manage.py backtest v3_5b --start (\S+) --end (\S+)<", html)
    assert "No backtests yet" in html and match
    assert date(2014, 1, 2) < date.fromisoformat(match.group(1)) and match.group(2) == "2026-11-27"


def test_list_without_runs_tells_a_viewer_that_an_admin_runs_backtests(viewer_client, strategy):
    coverage_create(("QQQ", "TQQQ"))
    html = page_html(viewer_client.get("/backtests/"))
    assert "No backtests yet" in html and "An admin runs backtests" in html and "manage.py" not in html


def test_list_without_runs_or_bars_tells_an_admin_to_import_them(admin_client, strategy):
    html = page_html(admin_client.get("/backtests/"))
    assert "no bars for QQQ, TQQQ" in html and "import_market_data" in html


def test_list_shows_strategy_range_status_key_metrics_and_a_link(viewer_client, strategy):
    run = backtest_run_create(strategy)
    html = page_html(viewer_client.get("/backtests/"))
    assert f'href="/backtests/{run.pk}/"' in html
    assert "Hierarchical Adaptive v3.5b" in html and "2020-01-02 → " in html
    assert "status-completed" in html
    assert "+18.34%" in html and "1.46" in html and "-15.23%" in html  # CAGR, Sharpe, max drawdown
    assert "∞" in html  # profit factor "inf"


def test_list_keeps_runs_whose_strategy_row_is_gone(viewer_client):
    backtest_run_create(None)
    assert "gone_strategy" in page_html(viewer_client.get("/backtests/"))


def test_list_query_count_is_constant_and_never_loads_the_curves(viewer_client, strategy):
    backtest_run_create(strategy)
    viewer_client.get("/backtests/")  # both counts are taken with every cache warm
    with CaptureQueriesContext(connection) as small:
        viewer_client.get("/backtests/")
    other = strategy_create("v3_5d", order=2)
    for n in range(15):
        backtest_run_create(other if n % 2 else strategy, days=200)
    config_override_create()
    with CaptureQueriesContext(connection) as large:
        html = page_html(viewer_client.get("/backtests/"))
    assert len(large.captured_queries) == len(small.captured_queries) <= 6
    run_query = next(
        q["sql"] for q in large.captured_queries if "strategies_backtestrun" in q["sql"] and "LIMIT" in q["sql"]
    )
    assert "equity_curve" not in run_query and "trades" not in run_query
    assert html.count('href="/backtests/') == 16 + 1  # 16 runs + the nav link


def test_list_paginates(viewer_client, strategy):
    for _ in range(55):
        backtest_run_create(strategy, days=10)
    html = page_html(viewer_client.get("/backtests/"))
    assert "Page 1 of 2" in html and "?page=2" in html
    assert "Page 2 of 2" in page_html(viewer_client.get("/backtests/?page=2"))


# --- detail -------------------------------------------------------------------------------------------------


def test_detail_shows_charts_trades_fills_regime_parameters_warnings_and_metrics(viewer_client, strategy):
    run = backtest_run_create(strategy, days=60)
    html = page_html(viewer_client.get(f"/backtests/{run.pk}/"))
    for chart in ("equity-chart", "drawdown-chart", "regime-chart"):
        assert f'id="{chart}"' in html
    data = _chart_data(html)
    assert len(data["dates"]) == len(data["equity"]) == len(data["baseline"]) == len(data["drawdown"]) == 60
    assert data["baseline_label"] == "QQQ" and data["strategy"] == "Hierarchical Adaptive v3.5b"
    assert max(data["drawdown"]) == 0.0 and min(data["drawdown"]) < 0
    # the regime timeline is a step chart: only its changes are sent (cell 1 for ten days, then cell 2)
    assert data["regime"]["cells"][:2] == [1, 2] and data["regime"]["dates"][1] == data["dates"][10]
    assert data["cell_names"]["1"] == "kill zone"
    # seven buys of TQQQ, never sold: one open round trip (not one row per lot)
    assert html.count('<tr><td class="left">TQQQ') == 1 and ">open</td>" in html
    assert "1 round trip" in html and "7 fills" in html
    assert "<code>sma_fast</code>" in html and "140" in html  # parameters
    assert "QQQ has 2 missing bars" in html  # warnings
    assert "Profit factor" in html and "∞" in html and "Sharpe" in html and "1.46" in html
    assert "1 · kill zone" in html and "6 · crash" in html  # returns by regime cell
    assert '/static/vendor/plotly.min.js"' in html and "/static/strategies/backtest_detail.js" in html
    assert "<script>" not in html


def test_detail_pages_the_round_trips_fifty_at_a_time_newest_first(viewer_client, strategy):
    fills = []
    for day in range(120):
        when = f"2020-{1 + day // 28:02d}-{1 + day % 28:02d}"
        fills += [
            {"date": when, "symbol": "QQQ", "side": "buy", "qty": 3, "price": "100", "commission": "0.03"},
            {"date": when, "symbol": "QQQ", "side": "sell", "qty": 3, "price": "101", "commission": "0.03"},
        ]
    run = backtest_run_create(strategy, fills=fills)
    html = page_html(viewer_client.get(f"/backtests/{run.pk}/"))
    assert "120 round trips" in html and "Page 1 of 3" in html
    assert html.count('<tr><td class="left">QQQ') == 50
    assert "2020-05-08" in html and "2020-01-01" not in html  # the newest first
    last = page_html(viewer_client.get(f"/backtests/{run.pk}/trades/?trades=3"))
    assert last.count('<tr><td class="left">QQQ') == 20 and "2020-01-01" in last and "<nav" not in last[:10]
    assert "$2.94" in last  # 3 × (101 − 100) − 0.06 commission


def test_detail_of_a_failed_run_shows_the_error_and_no_charts(viewer_client, strategy):
    run = backtest_run_create(
        strategy, status=BacktestStatus.FAILED, error="DataMissing: no bars for TQQQ", equity_curve=[], metrics={}
    )
    html = page_html(viewer_client.get(f"/backtests/{run.pk}/"))
    assert "no bars for TQQQ" in html and "no equity curve" in html
    assert "plotly.min.js" not in html and "backtest-chart-data" not in html


def test_detail_of_a_running_run_says_to_come_back(viewer_client, strategy):
    run = backtest_run_create(strategy, status=BacktestStatus.RUNNING, equity_curve=[], metrics={})
    assert "This backtest is running" in page_html(viewer_client.get(f"/backtests/{run.pk}/"))


def test_detail_query_count_does_not_grow_with_the_run(viewer_client, strategy):
    small = backtest_run_create(strategy, days=10)
    large = backtest_run_create(strategy, days=2000)
    viewer_client.get(f"/backtests/{small.pk}/")  # both counts are taken with every cache warm
    counts = []
    for run in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            viewer_client.get(f"/backtests/{run.pk}/")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 5  # session, user, run, overrides banner, demo-data banner


# --- display helpers ----------------------------------------------------------------------------------------


def test_regime_cell_names_match_the_numeric_core():
    from strategies.engine.library.hierarchical_adaptive import CELL_NAMES

    assert display.REGIME_CELL_NAMES == CELL_NAMES


@pytest.mark.parametrize(
    ("value", "text"),
    [("inf", "∞"), (float("inf"), "∞"), (None, "—"), ("1.5", "1.50"), (float("nan"), "—"), ("junk", "—")],
)
def test_ratios_show_infinity_and_undefined(value, text):
    assert display.fmt_ratio(value) == text


def test_percent_and_money_formatting():
    assert display.fmt_pct(0.1234, signed=True) == "+12.34%"
    assert display.fmt_pct(-0.05) == "-5.00%"
    assert display.fmt_money("-1234.5") == "−$1,234.50"
    assert display.cell_label(3) == "3 · drift" and display.cell_label(None) == "—"
    assert display.metric_rows({"profit_factor": "inf", "regime_cells": []}) == [
        {"key": "profit_factor", "label": "Profit factor", "value": "∞", "css": ""}
    ]
