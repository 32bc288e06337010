"""Overview (``/``) and performance (``/performance/``) pages: access, content, empty states, query counts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from performance.models import DailyPerformance, EntityType
from strategies import display
from tests.performance.pages_seed import (
    chart_payload,
    config_override_create,
    coverage_create,
    daily_performance_create,
    page_html,
    strategy_create,
)

pytestmark = pytest.mark.django_db


def _chart_data(html: str) -> dict:
    return chart_payload(html, "performance-chart-data")


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def seeded():
    """v3_5b (primary) and v3_5d with 120 paper days each, plus the QQQ baseline."""
    b = strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True, order=1)
    d = strategy_create("v3_5d", display_name="Hierarchical Adaptive v3.5d", order=2)
    daily_performance_create("v3_5b")
    daily_performance_create("v3_5d", phase=0.7)
    daily_performance_create("QQQ", entity_type=EntityType.BASELINE, phase=1.4)
    return b, d


# --- access -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/performance/"])
def test_anonymous_visitor_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", ["/", "/performance/"])
def test_viewer_and_admin_can_open_the_pages(viewer_client, admin_client, seeded, url):
    page_html(viewer_client.get(url))
    page_html(admin_client.get(url))


def test_admin_sees_the_admin_link_and_viewer_does_not(viewer_client, admin_client, seeded):
    assert 'href="/admin/"' in page_html(admin_client.get("/"))
    assert 'href="/admin/"' not in page_html(viewer_client.get("/"))


def test_nav_links_mark_the_current_page(viewer_client, seeded):
    html = page_html(viewer_client.get("/performance/"))
    assert 'href="/performance/" class="active"' in html
    assert 'href="/backtests/"' in html and 'href="/"' in html


# --- overview -----------------------------------------------------------------------------------------------


def test_overview_shows_each_active_strategy_with_latest_kpis_regime_and_sparkline(viewer_client, seeded):
    strategy_create("old", display_name="Retired strategy", active=False, order=9)
    html = page_html(viewer_client.get("/"))
    assert "Hierarchical Adaptive v3.5b" in html and "v3_5b" in html and "Hierarchical Adaptive v3.5d" in html
    assert "Retired strategy" not in html
    # the last seeded row: day 120 → cell 1 + (119 // 10) % 6 = 6, "crash"
    assert "6 · crash" in html and "cell-6" in html
    assert "0.432" in html and "−0.75" not in html and "-0.75" in html  # T_norm, z-score
    assert "BearStrong" in html and "High" in html
    assert "1.23" in html and "1.87" in html  # Sharpe, Sortino
    assert html.count("<polyline") == 2
    assert "primary" in html


def _hinted_range(html: str, strategy_id: str) -> tuple[date, date]:
    match = re.search(rf"python manage.py backtest {strategy_id} --start (\S+) --end (\S+) --json bt.json", html)
    assert match, "no backtest command in the hint"
    return date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))


def _assert_range_of_the_stored_bars(start: date, end: date) -> None:
    """The seeded coverage (2014-01-02 … 2026-11-27): the hint ends at the last bar and starts on the first trading
    day after v3_5b's warm-up (its declared bars + the loader's margin), never at a date without bars."""
    from jutsu.scheduler.calendar import trading_days
    from strategies.bars import warmup_bars
    from strategies.engine.strategy import get_strategy_class

    warmup = warmup_bars(get_strategy_class("hierarchical_adaptive_v3_5b")({}))
    assert end == date(2026, 11, 27)
    assert date(2014, 1, 2) < start < end
    assert len(trading_days(date(2014, 1, 2), start)) == warmup + 1


def test_overview_shows_an_admin_how_to_seed_with_dates_that_have_bars(admin_client):
    strategy_create("v3_5b", primary=True)
    coverage_create(("QQQ", "TQQQ"), first=date(2014, 1, 2), last=date(2026, 11, 27))
    html = page_html(admin_client.get("/"))
    assert "No daily performance yet" in html
    _assert_range_of_the_stored_bars(*_hinted_range(html, "v3_5b"))
    assert "backfill_daily_performance --strategy v3_5b --mode paper --from-backtest" in html
    assert "2010-02-11" not in html and "2020-07-02" not in html


def test_overview_tells_a_viewer_what_an_admin_can_do_instead_of_commands(viewer_client):
    strategy_create("v3_5b", primary=True)
    coverage_create(("QQQ", "TQQQ"), first=date(2014, 1, 2), last=date(2026, 11, 27))
    html = page_html(viewer_client.get("/"))
    assert "No daily performance yet" in html
    assert "manage.py" not in html and "--start" not in html
    assert "An admin can seed its history from a backtest" in html
    assert "2026-11-27" in html  # the stored bars' range, as information


def test_overview_tells_an_admin_to_import_bars_when_a_required_symbol_has_none(admin_client):
    strategy_create("v3_5b", primary=True)
    coverage_create(("QQQ",))
    html = page_html(admin_client.get("/"))
    assert "no bars for TQQQ" in html and "import_market_data" in html
    assert "python manage.py backtest" not in html


def test_overview_without_strategies_tells_an_admin_to_sync_the_registry_and_a_viewer_who_can(
    admin_client, viewer_client
):
    html = page_html(admin_client.get("/"))
    assert "No active strategies" in html and "python manage.py sync_strategies" in html
    html = page_html(viewer_client.get("/"))
    assert "No active strategies" in html and "An admin loads the strategy registry" in html
    assert "manage.py" not in html


def test_overview_mode_selector_reads_that_modes_rows(admin_client, seeded):
    html = page_html(admin_client.get("/?mode=online_live"))
    assert "No daily performance yet" in html and '<option value="online_live" selected>' in html
    # live rows come from live trading, never from a backtest
    assert "--from-backtest" not in html and "Live rows appear after the first end-of-day finalisation" in html


def test_overview_ignores_an_unknown_mode(viewer_client, seeded):
    html = page_html(viewer_client.get("/?mode=moon"))
    assert '<option value="paper" selected>' in html and "6 · crash" in html


def test_overview_query_count_does_not_grow_with_strategies_or_days(viewer_client):
    strategy_create("a", primary=True)
    daily_performance_create("a", days=5)
    small = _queries(viewer_client, "/")
    for n, sid in enumerate(["b", "c", "d", "e"]):
        strategy_create(sid, order=n + 2)
        daily_performance_create(sid, days=200)
    config_override_create()
    assert _queries(viewer_client, "/") == small
    # session, user, overrides banner, strategies, data version, recent equities, latest rows, baselines, last EOD,
    # Schwab token, engine, schedules, data freshness (bar + staleness setting), accounts, positions, regimes,
    # last run results
    assert small <= 18


def test_overview_reads_cached_rows_until_a_job_writes(viewer_client):
    from performance.services.data_version import data_version_bump

    strategy_create("a", primary=True)
    rows = daily_performance_create("a", days=30)
    data_version_bump()  # what the EOD job and the backfill do in their write transactions
    computed = _queries(viewer_client, "/")
    cached = _queries(viewer_client, "/")
    assert cached == computed - 2
    DailyPerformance.objects.filter(pk=rows[-1].pk).update(total_equity=Decimal("123456.78"))
    assert "123,456.78" not in page_html(viewer_client.get("/"))  # a write that did not bump: still cached
    data_version_bump()
    assert "123,456.78" in page_html(viewer_client.get("/"))


def test_overview_shows_the_schwab_logins_time_left(viewer_client, schwab_credentials):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from tests.trading.schwab import store_token

    now = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        html = page_html(viewer_client.get("/"))
        assert "Schwab login:" in html and "not logged in" in html
        store_token(issued_at=now - timedelta(days=5, hours=3))
        html = page_html(viewer_client.get("/"))
        assert "connected · refresh token expires 2026-11-26 11:00 UTC (1 d 21 h left — log in again soon)" in html
        assert "tier-2d" in html
    with time_machine.travel(now + timedelta(days=3), tick=False):
        assert "<strong>expired</strong> 2026-11-26 11:00 UTC" in page_html(viewer_client.get("/"))


def test_overview_says_nothing_about_schwab_on_a_paper_only_installation(viewer_client, monkeypatch):
    for name in ("SCHWAB_API_KEY", "SCHWAB_APP_SECRET", "SCHWAB_API_KEY_FILE", "SCHWAB_APP_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert "Schwab login" not in page_html(viewer_client.get("/"))


# --- overrides banner ---------------------------------------------------------------------------------------


def test_banner_lists_overrides_in_force_on_every_page(viewer_client, admin_user, seeded):
    config_override_create(parameter="trading.max_position_pct", value="0.25", user=admin_user)
    config_override_create(parameter="trading.initial_capital", value="5", expires_in_hours=-1)  # expired
    for url in ("/", "/performance/", "/backtests/"):
        html = page_html(viewer_client.get(url))
        assert "overrides-banner" in html
        assert "trading.max_position_pct" in html and "0.25" in html
        assert "by admin" in html and "expires" in html
        assert "trading.initial_capital" not in html


def test_no_banner_without_overrides(viewer_client, seeded):
    assert "overrides-banner" not in page_html(viewer_client.get("/"))


def test_banner_is_not_shown_to_anonymous_visitors_on_error_pages(client, seeded):
    config_override_create()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "overrides-banner" not in response.content.decode()


# --- performance page ---------------------------------------------------------------------------------------


def test_performance_page_defaults_to_the_primary_strategy_and_its_baseline(viewer_client, seeded):
    html = page_html(viewer_client.get("/performance/"))
    data = _chart_data(html)
    assert [s["label"] for s in data["series"]] == ["Hierarchical Adaptive v3.5b", "QQQ (buy & hold)"]
    assert [s["kind"] for s in data["series"]] == ["strategy", "baseline"]
    assert '/static/vendor/plotly.min.js"' in html and "/static/performance/performance.js" in html
    assert 'id="performance-equity-chart"' in html and 'id="performance-drawdown-chart"' in html
    assert "KPIs over the range" in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_performance_page_overlays_up_to_three_strategies(viewer_client, seeded):
    strategy_create("sma", order=3)
    daily_performance_create("sma", phase=2.0)
    html = page_html(viewer_client.get("/performance/?strategy=v3_5b&strategy=v3_5d&strategy=sma&range=ALL"))
    labels = [s["label"] for s in _chart_data(html)["series"]]
    assert labels == ["Hierarchical Adaptive v3.5b", "Hierarchical Adaptive v3.5d", "Strategy sma", "QQQ (buy & hold)"]
    assert html.count('<tr class="kind-strategy">') == 3


def test_performance_page_refuses_a_fourth_strategy_with_a_message(viewer_client, seeded):
    for sid in ("x", "y"):
        strategy_create(sid, order=5)
    html = page_html(viewer_client.get("/performance/?strategy=v3_5b&strategy=v3_5d&strategy=x&strategy=y"))
    assert "Pick at most 3 strategies" in html
    assert [s["label"] for s in _chart_data(html)["series"]] == ["Hierarchical Adaptive v3.5b", "QQQ (buy & hold)"]


@pytest.mark.parametrize(
    ("query", "first_date"),
    [
        ("range=ALL", "2019-01-02"),
        ("range=1M", "2019-05-20"),  # last seeded day is 2019-06-18
        ("range=3M", "2019-03-18"),
        ("range=YTD", "2019-01-02"),
        ("range=custom&start=2019-02-01&end=2019-02-28", "2019-02-01"),
        ("start=2019-04-01", "2019-04-01"),
    ],
)
def test_performance_page_date_ranges_end_at_the_latest_data(viewer_client, seeded, query, first_date):
    data = _chart_data(page_html(viewer_client.get(f"/performance/?strategy=v3_5b&{query}")))
    dates = data["series"][0]["dates"]
    assert dates[0] == first_date
    assert dates[-1] == ("2019-02-28" if "end=" in query else "2019-06-18")


def test_performance_growth_series_starts_at_zero_for_the_range(viewer_client, seeded):
    data = _chart_data(page_html(viewer_client.get("/performance/?strategy=v3_5b&range=3M")))
    for series in data["series"]:
        assert series["growth"][0] == 0.0
        assert len(series["equity"]) == len(series["dates"]) == len(series["drawdown"])


def test_performance_page_empty_range_and_empty_mode_say_what_to_do(admin_client, seeded):
    coverage_create(("QQQ", "TQQQ"), first=date(2014, 1, 2), last=date(2026, 11, 27))
    html = page_html(admin_client.get("/performance/?strategy=v3_5b&start=2030-01-01&end=2030-02-01"))
    assert "Pick a wider range" in html and "2019-06-18" in html
    html = page_html(admin_client.get("/performance/?strategy=v3_5b&mode=dry_run"))
    assert "No daily performance yet" in html and "--mode dry_run" in html
    _assert_range_of_the_stored_bars(*_hinted_range(html, "v3_5b"))
    assert "plotly.min.js" not in html


def test_performance_page_empty_mode_tells_a_viewer_what_an_admin_can_do(viewer_client, seeded):
    coverage_create(("QQQ", "TQQQ"))
    html = page_html(viewer_client.get("/performance/?strategy=v3_5b&mode=dry_run"))
    assert "No daily performance yet" in html and "An admin can seed its history from a backtest" in html
    assert "manage.py" not in html


def test_performance_page_without_strategies_says_who_syncs_them(admin_client, viewer_client):
    assert "python manage.py sync_strategies" in page_html(admin_client.get("/performance/"))
    html = page_html(viewer_client.get("/performance/"))
    assert "An admin loads the strategy registry" in html and "manage.py" not in html


def test_performance_page_reports_invalid_input_and_uses_defaults(viewer_client, seeded):
    html = page_html(viewer_client.get("/performance/?mode=moon&start=2019-05-01&end=2019-04-01"))
    assert "mode:" in html and "end:" in html
    data = _chart_data(html)
    assert data["series"][0]["dates"][-1] == "2019-06-18"


def test_performance_page_kpis_are_computed_over_the_range(viewer_client, seeded):
    html = page_html(viewer_client.get("/performance/?strategy=v3_5b&range=ALL"))
    assert re.search(r"120 · 2019-01-02 → 2019-06-18", html)


def test_range_kpis_from_the_first_day_on_are_measured_from_the_initial_capital(viewer_client, seeded):
    """The stored cumulative return and a backtest's total return start at the initial capital; so does a range
    that begins at the strategy's first day. A later range starts at its own first row."""
    DailyPerformance.objects.filter(entity_id="v3_5b").update(initial_capital=Decimal("101000"))
    rows = list(DailyPerformance.objects.filter(entity_id="v3_5b").order_by("trading_date"))
    last = float(rows[-1].total_equity)

    def strategy_row(html: str) -> str:
        return html[html.index('<tr class="kind-strategy">') :].split("</tr>")[0]

    html = page_html(viewer_client.get("/performance/?strategy=v3_5b&range=ALL"))
    assert f">{display.fmt_pct(last / 101_000 - 1, signed=True)}<" in strategy_row(html)
    growth = _chart_data(html)["series"][0]["growth"]
    assert growth[0] == pytest.approx(float(rows[0].total_equity) / 101_000 - 1) and growth[0] < 0
    assert growth[-1] == pytest.approx(last / 101_000 - 1)

    html = page_html(viewer_client.get("/performance/?strategy=v3_5b&range=1M"))
    first = next(float(r.total_equity) for r in rows if r.trading_date >= date(2019, 5, 20))
    assert f">{display.fmt_pct(last / first - 1, signed=True)}<" in strategy_row(html)


def test_performance_page_query_count_does_not_grow_with_strategies_or_days(viewer_client, seeded):
    small = _queries(viewer_client, "/performance/?strategy=v3_5b&range=1M")
    for sid in ("x", "y"):
        strategy_create(sid, order=5)
        daily_performance_create(sid, days=400, start=date(2018, 1, 1))
    large = _queries(viewer_client, "/performance/?strategy=v3_5b&strategy=x&strategy=y&range=ALL")
    assert large == small
    assert small <= 9


def test_vendored_plotly_is_served_without_a_cdn(viewer_client):
    response = viewer_client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert int(response["Content-Length"]) > 1_000_000  # the full bundle from the plotly wheel
