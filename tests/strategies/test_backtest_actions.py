"""Backtests from the page: the start form, live status, exports, full-resolution series and comparison."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from strategies.models import BacktestRun, BacktestStatus
from tests.performance.pages_seed import backtest_run_create, chart_payload, page_html, strategy_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy():
    return strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)


def _form(**changes) -> dict:
    data = {"strategy_id": "v3_5b", "start": "2020-01-02", "end": "2021-06-30"}
    return {**data, **changes}


# --- start form ---------------------------------------------------------------------------------------------


def test_the_start_form_has_a_field_per_parameter_of_the_strategy_with_its_current_value(admin_client, strategy):
    html = page_html(admin_client.get("/backtests/new/"))
    assert 'name="param_sma_fast"' in html and 'name="param_osc_smoothness"' in html
    assert '<label for="id_param_sma_fast">Sma fast:</label>' in html
    assert 'name="param_sma_fast" value="40"' in html  # the strategy's default
    assert "whole number ≥ 1" in html  # the spec, in words


def test_a_viewer_cannot_open_or_post_the_start_form(viewer_client, strategy):
    assert viewer_client.get("/backtests/new/").status_code == 403
    assert viewer_client.post("/backtests/new/", _form()).status_code == 403
    assert not BacktestRun.objects.exists()


def test_a_bad_parameter_is_named_by_its_label_and_nothing_is_stored(admin_client, strategy):
    response = admin_client.post("/backtests/new/", _form(param_osc_smoothness="abc"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Osc smoothness: expected an integer, got &#x27;abc&#x27;" in html
    assert "param_osc_smoothness" not in html.split('class="form-errors"')[1].split("</ul>")[0]  # no raw field name
    assert not BacktestRun.objects.exists()


def test_parameters_checked_together_by_the_strategy_name_the_parameter(admin_client, strategy):
    response = admin_client.post("/backtests/new/", _form(param_sma_fast="200", param_sma_slow="100"))
    assert response.status_code == 400
    assert "Sma fast: must be smaller than sma_slow (200 ≥ 100)" in response.content.decode()
    assert not BacktestRun.objects.exists()


def test_dates_the_wrong_way_round_are_a_friendly_error(admin_client, strategy):
    response = admin_client.post("/backtests/new/", _form(start="2021-01-01", end="2020-01-01"))
    assert response.status_code == 400
    assert "End date must be on or after the start date (2021-01-01)." in response.content.decode()


def test_a_valid_form_queues_a_pending_run_with_only_the_changed_parameters(admin_client, admin_user, strategy):
    response = admin_client.post("/backtests/new/", _form(param_sma_fast="30", initial_capital="5000"))
    run = BacktestRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/backtests/{run.pk}/"
    assert run.status == BacktestStatus.PENDING and run.started_by == admin_user
    assert run.start_date == date(2020, 1, 2) and run.initial_capital == 5000
    assert run.config["request"]["param_overrides"] == {"sma_fast": "30"}
    html = page_html(admin_client.get(f"/backtests/{run.pk}/"))
    assert 'id="backtest-waiting"' in html and f'data-status-url="/backtests/{run.pk}/status/"' in html
    assert admin_client.get(f"/backtests/{run.pk}/status/").json() == {"id": run.pk, "status": "pending", "error": ""}


def test_a_finished_run_publishes_its_status_for_the_waiting_page(strategy, monkeypatch):
    from strategies import events

    sent = []
    monkeypatch.setattr(events, "publish", lambda event_type, payload: sent.append((event_type, payload)))
    from strategies.services.backtests import backtest_run_perform

    run = backtest_run_create(strategy, status=BacktestStatus.PENDING, config={"request": {"bad": 1}})
    backtest_run_perform(run_id=run.pk)
    statuses = [payload["status"] for kind, payload in sent if kind == "job_status" and payload["job"] == "backtest"]
    assert statuses == ["running", "failed"]
    assert all(payload["run_id"] == run.pk for _kind, payload in sent)


# --- exports and full series --------------------------------------------------------------------------------


def test_exports_download_json_and_csv_of_the_equity_and_the_round_trips(viewer_client, strategy):
    fills = [
        {"date": "2020-01-02", "symbol": "QQQ", "side": "buy", "qty": 10, "price": "100", "commission": "0.1"},
        {"date": "2020-01-03", "symbol": "QQQ", "side": "sell", "qty": 4, "price": "110", "commission": "0.04"},
        {"date": "2020-01-06", "symbol": "QQQ", "side": "sell", "qty": 6, "price": "90", "commission": "0.06"},
    ]
    run = backtest_run_create(strategy, days=30, fills=fills)
    html = page_html(viewer_client.get(f"/backtests/{run.pk}/"))
    assert (
        f'href="/backtests/{run.pk}/export.json"' in html
        and f'href="/backtests/{run.pk}/export.csv?part=trades"' in html
    )

    document = viewer_client.get(f"/backtests/{run.pk}/export.json")
    assert 'filename="backtest-' in document["Content-Disposition"]
    assert len(json.loads(b"".join(document)).get("equity_curve")) == 30

    equity = list(
        csv.DictReader(io.StringIO(viewer_client.get(f"/backtests/{run.pk}/export.csv?part=equity").content.decode()))
    )
    assert len(equity) == 30 and equity[0]["date"] == "2020-01-02"
    trades = list(
        csv.DictReader(io.StringIO(viewer_client.get(f"/backtests/{run.pk}/export.csv?part=trades").content.decode()))
    )
    assert len(trades) == 1  # one round trip, not two lots
    assert trades[0]["qty"] == "10" and trades[0]["exit_date"] == "2020-01-06"
    assert trades[0]["pnl"] == "-20.200000"  # 4×110 + 6×90 − 10×100 − 0.20 commissions

    bad = viewer_client.get(f"/backtests/{run.pk}/export.csv?part=fills")
    assert bad.status_code == 400 and "part: &#x27;fills&#x27; is not one of equity, trades" in bad.content.decode()


def test_the_page_shows_a_downsampled_curve_and_the_full_one_on_request(viewer_client, strategy):
    run = backtest_run_create(strategy, days=2000)
    html = page_html(viewer_client.get(f"/backtests/{run.pk}/"))
    shown = chart_payload(html, "backtest-chart-data")
    assert shown["points_total"] == 2000 and 100 < shown["points"] == len(shown["dates"]) <= 700
    assert 'id="full-resolution"' in html
    full = viewer_client.get(f"/backtests/{run.pk}/series/").json()
    assert full["points"] == len(full["dates"]) == 2000
    assert shown["dates"][0] == full["dates"][0] and shown["dates"][-1] == full["dates"][-1]
    assert min(shown["drawdown"]) == min(full["drawdown"]) and max(shown["equity"]) == max(full["equity"])
    assert len(html) < 150_000


# --- compare ------------------------------------------------------------------------------------------------


def test_two_runs_compare_side_by_side_with_their_differing_parameters_marked(viewer_client, strategy):
    first = backtest_run_create(strategy)
    second = backtest_run_create(strategy, params={"T_max": 50, "sma_fast": 20, "sma_slow": 140})  # no hedge flag
    html = page_html(viewer_client.get(f"/backtests/compare/?runs={first.pk}&runs={second.pk}"))
    assert f"#{first.pk} v3_5b" in html and f"#{second.pk} v3_5b" in html
    assert "(2 differ)" in html and '<code>sma_fast</code> <span class="badge">differs</span>' in html
    series = chart_payload(html, "compare-chart-data")["series"]
    assert len(series) == 2 and series[0]["ret"][0] == 0.0


@pytest.mark.parametrize(
    ("query", "message"),
    [("?runs=1", "Choose 2 or 3 runs to compare (you chose 1)."), ("?runs=1&runs=x", "Run ids are numbers")],
)
def test_comparing_the_wrong_number_of_runs_explains_what_to_do(viewer_client, strategy, query, message):
    response = viewer_client.get(f"/backtests/compare/{query}")
    assert response.status_code == 400 and message in response.content.decode()


def test_comparing_a_run_that_does_not_exist_names_it(viewer_client, strategy):
    run = backtest_run_create(strategy)
    response = viewer_client.get(f"/backtests/compare/?runs={run.pk}&runs=999")
    assert response.status_code == 400 and "No backtest run #999." in response.content.decode()
