"""The regime page: today's decision tree with the values that chose each branch, the cell timeline, per-cell
statistics, indicator history, empty states and bounded queries."""

from __future__ import annotations

from datetime import date

import pytest

from tests.performance.pages_seed import page_html, strategy_create
from tests.trading.dashboard_seed import regime_rows_create, trades_bulk_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategies():
    strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)
    strategy_create("v3_5d", display_name="Hierarchical Adaptive v3.5d", order=2)


def test_the_decision_tree_shows_the_values_and_thresholds_that_chose_each_branch(viewer_client, strategies):
    rows = regime_rows_create("v3_5b", days=30, cells=[3] * 29 + [1])
    html = page_html(viewer_client.get("/regime/"))
    latest = rows[-1]
    tree = html.split('id="decision-tree"')[1].split("</section>")[0]
    assert f"Decision of {latest.trading_date:%Y-%m-%d}" in tree
    assert '<li class="chosen">BullStrong</li>' in tree and '<li class="chosen">Low</li>' in tree
    assert f"T_norm {latest.t_norm:+.3f} &gt; +0.050 and SMA fast 412.50 &gt; SMA slow 398.25" in tree
    assert "z -0.30 &lt; lower +0.20" in tree
    assert "BullStrong × Low vol → cell 1" in tree and "1 · kill zone" in tree
    assert "TQQQ" in tree and "60.0%" in tree and "rebalanced" not in tree  # day 30 of the seed holds


def test_sideways_explains_the_missing_confirmation(viewer_client, strategies):
    regime_rows_create("v3_5b", days=3, cells=[4, 4, 4])
    tree = page_html(viewer_client.get("/regime/")).split('id="decision-tree"')[1].split("</section>")[0]
    assert "between -0.300 and +0.050" in tree and '<li class="chosen">Sideways</li>' in tree
    assert "z +1.40 &gt; upper +1.00" in tree and "bond trend Bull" in tree


def test_timeline_and_per_cell_statistics_follow_the_rows_and_trades(viewer_client, strategies):
    regime_rows_create("v3_5b", days=30)  # cells 1..6, five sessions each
    trades_bulk_create("v3_5b", 12, start=date(2024, 3, 1))
    html = page_html(viewer_client.get("/regime/", {"range": "ALL"}))
    timeline = html.split('id="cell-timeline"')[1].split("</section>")[0]
    assert timeline.count('style="flex-grow:5"') == 6
    assert "cell 1 kill zone: 2024-03-01 → 2024-03-07 (5 sessions)" in timeline
    row = html.split('id="cell-row-1"')[1].split("</tr>")[0]
    assert "<td>5</td>" in row and "16.7%" in row  # 5 of 30 sessions, one episode
    # trades decided in cell 2: trade 1 (sell, +12.5) and trade 7 (sell, -3.25)
    row2 = html.split('id="cell-row-2"')[1].split("</tr>")[0]
    assert "$9.25" in row2 and "50%" in row2


def test_indicator_history_draws_the_series_with_their_thresholds(viewer_client, strategies):
    regime_rows_create("v3_5b", days=20)
    html = page_html(viewer_client.get("/regime/"))
    history = html.split('id="indicator-history"')[1]
    assert history.count("<polyline") == 3
    assert "bull 0.05" in history and "upper 1.0" in history and "lower 0.2" in history
    assert history.count("<tr><td") == 15  # the latest fifteen sessions
    assert "/api/indicators/history?strategy_id=v3_5b&amp;mode=paper" in history


def test_another_strategy_mode_and_range_can_be_chosen(viewer_client, strategies):
    regime_rows_create("v3_5b", days=10)
    regime_rows_create("v3_5d", mode="dry_run", days=4, cells=[6, 6, 6, 6])
    html = page_html(viewer_client.get("/regime/", {"strategy": "v3_5d", "mode": "dry_run", "range": "3M"}))
    assert "Hierarchical Adaptive v3.5d · dry_run" in html and "6 · crash" in html
    junk = page_html(viewer_client.get("/regime/", {"strategy": "nope", "mode": "yolo", "range": "5Y"}))
    assert "Hierarchical Adaptive v3.5b · paper" in junk  # invalid choices fall back to the defaults


def test_empty_states_name_the_next_step(viewer_client, admin_client, strategies):
    html = page_html(admin_client.get("/regime/"))
    assert "No regime decisions yet" in html and "engine start --mode paper" in html
    for_viewer = page_html(viewer_client.get("/regime/"))
    assert "once an admin starts the engine" in for_viewer and "manage.py" not in for_viewer


def test_without_strategies_the_page_says_how_to_load_them(viewer_client, admin_client):
    assert "sync_strategies" in page_html(admin_client.get("/regime/"))
    assert "An admin loads the strategy registry" in page_html(viewer_client.get("/regime/"))


def test_the_page_reads_a_bounded_number_of_queries(viewer_client, strategies, django_assert_max_num_queries):
    regime_rows_create("v3_5b", days=5)
    viewer_client.get("/regime/")
    with django_assert_max_num_queries(15) as few:
        viewer_client.get("/regime/")
    regime_rows_create("v3_5b", days=100, start=date(2024, 6, 3))
    trades_bulk_create("v3_5b", 80)
    with django_assert_max_num_queries(15) as many:
        viewer_client.get("/regime/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_admin_sees_the_page_and_anonymous_is_sent_to_sign_in(admin_client, client, strategies):
    regime_rows_create("v3_5b", days=3)
    assert "Decision of" in page_html(admin_client.get("/regime/"))
    assert client.get("/regime/").status_code == 302
