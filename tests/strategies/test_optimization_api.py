"""Optimisation API: viewers read runs (JSON and CSV), admins start them (research workers / Monte Carlo)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from jutsu.celery import app as celery_app
from strategies.models import OptimizationRun
from strategies.services.backtests import BacktestRequest, backtest_run_execute
from strategies.services.optimization_runs import (
    OptimizationRequest,
    optimization_run_start,
    optimization_run_work_locally,
)

pytestmark = pytest.mark.django_db

GRID = {"fast": [20, 40], "slow": [100, 150]}
RANGE = {"kind": "grid", "strategy_id": "sma_crossover", "start": "2012-01-03", "end": "2016-12-30"}


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def grid_run(market):
    request = OptimizationRequest(
        kind="grid",
        strategy_id="sma_crossover",
        start=date(2012, 1, 3),
        end=date(2016, 12, 30),
        space=GRID,
        fixed_params={"symbol": "QQQ"},
    )
    return optimization_run_work_locally(optimization_run_start(request, execution="local").pk)


def test_viewer_lists_runs_with_counts_and_verdict_in_constant_queries(
    grid_run, viewer_api, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        body = viewer_api.get("/api/optimizations?kind=grid&limit=10").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == grid_run.pk and item["completed_trials"] == 4 and item["failed_trials"] == 0
    assert item["verdict"] == grid_run.audit["verdict"]
    assert viewer_api.get("/api/optimizations?kind=bogus").status_code == 400
    assert viewer_api.get("/api/optimizations?status=completed").json()["count"] == 1


def test_viewer_reads_one_run_and_its_ranked_results_as_csv(grid_run, viewer_api):
    document = viewer_api.get(f"/api/optimizations/{grid_run.pk}").json()
    assert document["metric"] == "sharpe" and len(document["results"]) == 4
    assert document["results"][0]["rank"] == 1 and "pbo" in document["audit"]
    response = viewer_api.get(f"/api/optimizations/{grid_run.pk}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4]
    assert float(rows[0]["sharpe"]) == document["results"][0]["metrics"]["sharpe"]
    assert rows[0]["param_symbol"] == "QQQ"
    assert viewer_api.get(f"/api/optimizations/{grid_run.pk}?format=xml").status_code == 400
    assert viewer_api.get("/api/optimizations/999999").status_code == 404


def test_viewer_cannot_start_a_run(market, viewer_api):
    response = viewer_api.post("/api/optimizations", {"kind": "grid"}, format="json")
    assert response.status_code == 403


def test_admin_starts_a_grid_that_the_research_workers_complete(
    market, admin_api, eager, django_capture_on_commit_callbacks
):
    payload = {
        "kind": "grid",
        "strategy_id": "sma_crossover",
        "start": "2012-01-03",
        "end": "2016-12-30",
        "grid": GRID,
        "params": {"symbol": "QQQ"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post("/api/optimizations", payload, format="json")
    assert response.status_code == 202, response.json()
    run = OptimizationRun.objects.get(pk=response.json()["id"])
    assert run.status == "completed" and run.options["execution"] == "celery"
    assert run.started_by.username == "admin"


@pytest.mark.parametrize(
    "payload, message",
    [
        (
            {
                "kind": "grid",
                "strategy_id": "sma_crossover",
                "start": "2012-01-03",
                "end": "2016-12-30",
                "grid": {"fast": [20, "bogus"]},
            },
            "parameter 'fast': expected an integer",
        ),
        ({"kind": "grid", "strategy_id": "sma_crossover"}, "start: required"),
        ({"kind": "montecarlo"}, "backtest_id: required"),
        ({"kind": "bogus"}, "kind"),
        ({**RANGE, "kind": "search"}, "ranges: required for a search run"),
    ],
)
def test_invalid_requests_are_400_naming_the_problem_and_store_nothing(market, admin_api, payload, message):
    response = admin_api.post("/api/optimizations", payload, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not OptimizationRun.objects.exists()


def test_admin_runs_a_monte_carlo_study(market, admin_api):
    backtest = backtest_run_execute(BacktestRequest("sma_crossover", date(2012, 1, 3), date(2016, 12, 30)))
    payload = {"kind": "montecarlo", "backtest_id": backtest.pk, "paths": 200, "seed": 4, "method": "shuffle"}
    response = admin_api.post("/api/optimizations", payload, format="json")
    assert response.status_code == 201
    document = admin_api.get(f"/api/optimizations/{response.json()['id']}").json()
    assert document["seed"] == 4 and document["paths"] == 200 and document["backtest_id"] == backtest.pk
    rows = list(
        csv.DictReader(io.StringIO(admin_api.get(f"/api/optimizations/{document['id']}?format=csv").content.decode()))
    )
    assert [r["statistic"] for r in rows] == ["total_return", "cagr", "sharpe", "max_drawdown"]
    assert list(rows[0]) == ["statistic", "p5", "p25", "p50", "p75", "p95", "mean"]


def test_the_endpoints_are_in_the_openapi_schema(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/optimizations" in schema["paths"] and "post" in schema["paths"]["/api/optimizations"]
    assert "/api/optimizations/{run_id}" in schema["paths"]


def test_admin_starts_a_seeded_search(market, admin_api, eager, django_capture_on_commit_callbacks):
    payload = {**RANGE, "kind": "search", "params": {"symbol": "QQQ"}, "trials": 3, "seed": 5, "batch_size": 3}
    payload["ranges"] = {"fast": {"low": 5, "high": 60}, "slow": {"low": 80, "high": 200, "step": 10}}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post("/api/optimizations", payload, format="json")
    assert response.status_code == 202, response.json()
    run = OptimizationRun.objects.get(pk=response.json()["id"])
    assert run.kind == "search" and run.status == "completed" and run.options["seed"] == 5
