"""Research pages: list (empty and with runs), start (admins), detail of grid, walk-forward and Monte Carlo runs."""

from __future__ import annotations

import json
from datetime import date

import pytest

from jutsu.celery import app as celery_app
from strategies.models import OptimizationRun
from strategies.services.backtests import BacktestRequest, backtest_run_execute
from strategies.services.optimization_analysis import optimization_montecarlo_execute
from strategies.services.optimization_runs import (
    OptimizationRequest,
    optimization_run_start,
    optimization_run_work_locally,
)

pytestmark = pytest.mark.django_db


def local_run(kind: str = "grid", **changes) -> OptimizationRun:
    values = {
        "kind": kind,
        "strategy_id": "sma_crossover",
        "start": date(2012, 1, 3),
        "end": date(2016, 12, 30),
        "space": {"fast": [20, 40], "slow": [100, 150]},
        "fixed_params": {"symbol": "QQQ"},
        **changes,
    }
    return optimization_run_work_locally(optimization_run_start(OptimizationRequest(**values), execution="local").pk)


def chart_data(response) -> dict:
    html = response.content.decode()
    start = html.index('id="optimization-chart-data"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_the_empty_list_says_how_to_start(viewer_client, admin_client, db):
    text = admin_client.get("/optimizations/").content.decode()
    assert "No research runs yet" in text and "optimize grid sma_crossover" in text
    response = viewer_client.get("/optimizations/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "No research runs yet" in text and "An admin starts parameter searches" in text
    assert "Start a run" not in text and "manage.py" not in text  # viewers cannot start one


def test_the_list_shows_runs_with_trials_and_verdict(market, viewer_client, django_assert_max_num_queries):
    run = local_run()
    with django_assert_max_num_queries(8):
        response = viewer_client.get("/optimizations/")
    text = response.content.decode()
    assert f'href="/optimizations/{run.pk}/"' in text
    assert "4/4" in text and run.audit["verdict"] in text
    assert 'href="/optimizations/"' in text  # the nav link


def test_grid_detail_ranks_trials_next_to_the_audit_with_heatmap_data(market, viewer_client):
    run = local_run()
    response = viewer_client.get(f"/optimizations/{run.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Overfitting audit" in text and "Deflated Sharpe ratio" in text and "Ranking" in text
    assert 'id="heatmap-x"' in text and 'id="heatmap-chart"' in text
    data = chart_data(response)
    assert data["parameters"] == ["fast", "slow"] and len(data["results"]) == 4
    assert data["results"][0]["value"] == run.summary["best"]["metrics"]["sharpe"]
    assert viewer_client.get("/optimizations/999999/").status_code == 404


def test_a_running_run_shows_live_progress_instead_of_a_ranking(market, viewer_client):
    run = optimization_run_start(
        OptimizationRequest(
            kind="grid",
            strategy_id="sma_crossover",
            start=date(2012, 1, 3),
            end=date(2016, 12, 30),
            space={"fast": [20, 40]},
        ),
        execution="celery",
    )
    text = viewer_client.get(f"/optimizations/{run.pk}/").content.decode()
    assert 'id="optimization-progress-bar"' in text and "0 of 2 trials" in text
    assert "The ranking appears as trials complete" in text


def test_walk_forward_detail_shows_windows_and_oos_equity(market, viewer_client):
    run = local_run("walkforward", start=date(2011, 1, 3), end=date(2013, 12, 31), is_bars=252, oos_bars=126)
    response = viewer_client.get(f"/optimizations/{run.pk}/")
    text = response.content.decode()
    assert "Stitched out-of-sample equity" in text and 'id="oos-equity-chart"' in text
    data = chart_data(response)
    assert data["oos_equity"][0]["date"] >= data["windows"][0]["start"]
    assert len(data["windows"]) == run.summary["walkforward"]["windows"].__len__()


def test_monte_carlo_detail_shows_percentiles_and_histograms(market, viewer_client):
    backtest = backtest_run_execute(BacktestRequest("sma_crossover", date(2012, 1, 3), date(2016, 12, 30)))
    run = optimization_montecarlo_execute(backtest_id=backtest.pk, paths=300, seed=2)
    response = viewer_client.get(f"/optimizations/{run.pk}/")
    text = response.content.decode()
    assert "Percentiles over 300 paths" in text and "Probability of loss" in text and 'id="mc-sharpe"' in text
    data = chart_data(response)
    assert sum(data["histograms"]["sharpe"]["counts"]) == 300


def test_viewers_cannot_open_the_start_page(viewer_client, db):
    assert viewer_client.get("/optimizations/new/").status_code == 403


def test_admin_starts_a_grid_from_the_page(market, admin_client, django_capture_on_commit_callbacks):
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/optimizations/new/",
                {
                    "kind": "grid",
                    "strategy_id": "sma_crossover",
                    "start": "2012-01-03",
                    "end": "2016-12-30",
                    "grid": "fast: 20, 40\nslow: 100",
                    "params": "symbol = QQQ",
                    "metric": "sharpe",
                    "is_bars": 252,
                    "oos_bars": 63,
                    "paths": 1000,
                    "method": "bootstrap",
                },
            )
    finally:
        celery_app.conf.task_always_eager = False
    run = OptimizationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/optimizations/{run.pk}/"
    run.refresh_from_db()
    assert run.status == "completed" and run.fixed_params == {"symbol": "QQQ"} and run.total_trials == 2


def test_an_invalid_grid_on_the_page_is_shown_and_nothing_is_stored(market, admin_client):
    form = {"kind": "grid", "strategy_id": "sma_crossover", "start": "2012-01-03", "end": "2016-12-30"}
    form.update(grid="fast: 20, bogus", metric="sharpe", is_bars=252, oos_bars=63, paths=10, method="bootstrap")
    response = admin_client.post("/optimizations/new/", form)
    assert response.status_code == 400
    assert "parameter &#x27;fast&#x27;: expected an integer, got &#x27;bogus&#x27;" in response.content.decode()
    assert not OptimizationRun.objects.exists()
    empty = admin_client.get("/optimizations/new/")
    assert empty.status_code == 200 and 'name="grid"' in empty.content.decode()


def test_search_detail_puts_every_searched_parameter_in_the_heatmap(market, viewer_client):
    values = {
        "kind": "search",
        "strategy_id": "sma_crossover",
        "start": date(2014, 1, 2),
        "end": date(2016, 12, 30),
        "space": {"fast": {"low": 5, "high": 60}, "slow": {"low": 80, "high": 200, "step": 10}},
        "fixed_params": {"symbol": "QQQ"},
        "n_trials": 4,
        "seed": 1,
        "batch_size": 2,
    }
    run = optimization_run_work_locally(optimization_run_start(OptimizationRequest(**values), execution="local").pk)
    response = viewer_client.get(f"/optimizations/{run.pk}/")
    assert response.status_code == 200 and "Bayesian search" in response.content.decode()
    data = chart_data(response)
    assert data["parameters"] == ["fast", "slow"] and len(data["results"]) == run.total_trials


def test_admin_starts_a_bayesian_search_from_the_page(market, admin_client, django_capture_on_commit_callbacks):
    form = {"kind": "search", "strategy_id": "sma_crossover", "start": "2014-01-02", "end": "2016-12-30"}
    form.update(ranges="fast: 5:60\nslow: 80:200:10", params="symbol = QQQ", trials=4, batch_size=2, seed=7)
    form.update(metric="sharpe", is_bars=252, oos_bars=63, paths=1000, method="bootstrap")
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post("/optimizations/new/", form)
    finally:
        celery_app.conf.task_always_eager = False
    run = OptimizationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/optimizations/{run.pk}/"
    run.refresh_from_db()
    assert run.kind == "search" and run.status == "completed" and run.total_trials == 4
    assert run.space == {
        "fast": {"type": "int", "low": 5, "high": 60},
        "slow": {"type": "int", "low": 80, "high": 200, "step": 10},
    }
    assert run.options["seed"] == 7


def test_an_unreadable_search_range_names_the_parameter_and_stores_nothing(market, admin_client):
    form = {"kind": "search", "strategy_id": "sma_crossover", "start": "2014-01-02", "end": "2016-12-30"}
    form.update(ranges="fast: 5:60\nslow: 80:", metric="sharpe", is_bars=252, oos_bars=63, paths=10, method="bootstrap")
    response = admin_client.post("/optimizations/new/", form)
    assert response.status_code == 400
    assert "search range slow: &#x27;80:&#x27;: write low:high or low:high:step" in response.content.decode()
    assert not OptimizationRun.objects.exists()
