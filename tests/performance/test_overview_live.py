"""The overview's live-trading parts: return against the baseline, the labelled sparkline, positions next to
today's targets, explained regime inputs, engine/schedule/data strip, and the fragments live events refresh."""

from __future__ import annotations

from datetime import date

import pytest

from performance.models import EntityType
from tests.performance.pages_seed import daily_performance_create, page_html, strategy_create
from tests.trading.dashboard_seed import regime_rows_create
from tests.trading.ledger_helpers import trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)
    rows = daily_performance_create("v3_5b", days=80)
    baseline = daily_performance_create("QQQ", entity_type=EntityType.BASELINE, days=80, phase=1.4)
    return rows, baseline


def test_each_card_compares_day_and_cumulative_return_with_its_baseline(viewer_client, seeded):
    rows, baseline = seeded
    html = page_html(viewer_client.get("/"))
    line = html.split('class="small baseline-line"')[1].split("</p>")[0]
    assert "vs QQQ baseline" in line
    assert f"{baseline[-1].cumulative_return * 100:+,.2f}%" in line
    excess = rows[-1].cumulative_return - baseline[-1].cumulative_return
    assert f"{excess * 100:+,.2f}%" in line


def test_the_sparkline_is_labelled_with_its_window_and_returns(viewer_client, seeded):
    rows, baseline = seeded
    html = page_html(viewer_client.get("/"))
    caption = html.split('<figcaption class="small muted">')[1].split("</figcaption>")[0]
    window = rows[-60:]
    assert f"last 60 sessions ({window[0].trading_date:%Y-%m-%d} → {window[-1].trading_date:%Y-%m-%d})" in caption
    strategy_ret = float(window[-1].total_equity) / float(window[0].total_equity) - 1
    qqq_ret = float(baseline[-1].total_equity) / float(baseline[-60].total_equity) - 1
    assert f"{strategy_ret * 100:+,.2f}%" in caption and "QQQ <span" in caption
    assert f"{qqq_ret * 100:+,.2f}%" in caption


def test_positions_show_next_to_todays_target_allocation(viewer_client, seeded):
    trade("v3_5b", "BUY", "TQQQ", 100, "50.00", date(2024, 3, 4))
    regime_rows_create("v3_5b", days=1, start=date(2024, 3, 4), cells=[1])  # targets TQQQ 60 %, QQQ 40 %
    html = page_html(viewer_client.get("/"))
    holdings = html.split('class="data compact holdings"')[1].split("</table>")[0]
    assert '<td class="left">TQQQ</td><td>100</td><td>$5,000.00</td>' in holdings
    assert "60.0%" in holdings and '<td class="left">QQQ</td><td>—</td>' in holdings and "40.0%" in holdings
    assert "CASH" in holdings


def test_regime_inputs_and_cells_carry_explanations(viewer_client, seeded):
    html = page_html(viewer_client.get("/"))
    assert '<dt title="Kalman trend strength' in html  # T_norm
    assert '<dt title="Today&#x27;s annualised realised volatility' in html  # z-score
    assert 'title="Regime cell 2 · fragile: fragile — BullStrong × High vol; QQQ 100%"' in html


def test_the_status_strip_shows_engine_mode_next_runs_and_data_freshness(admin_client, seeded):
    from jutsu.scheduler.schedules import schedules_sync

    schedules_sync()
    html = page_html(admin_client.get("/"))
    strip = html.split('id="overview-status"')[1].split("</section>")[0]
    assert "stopped" in strip and 'mode-paper">paper<' in strip
    assert "ET" in strip and "<code>" in strip  # next runs in New York time
    assert "no QQQ bars" in strip and "sync_market_data QQQ" in strip
    from trading.models import EngineState

    assert not EngineState.objects.exists()  # reading the page wrote nothing


def test_fragments_are_marked_for_live_updates(viewer_client, seeded):
    html = page_html(viewer_client.get("/"))
    assert 'id="overview-cards" data-live-fragment="trade_executed regime_change data_refresh"' in html
    assert 'id="overview-status"' in html and "data-live-reload" not in html
