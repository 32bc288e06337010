"""Strategies and backtests API: reads for viewers, starting runs for admins (research worker)."""

from __future__ import annotations

from datetime import date

import pytest

from jutsu.celery import app as celery_app
from strategies.models import BacktestRun
from strategies.services.backtests import BacktestRequest, backtest_run_execute

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_viewer_lists_strategies_with_their_parameters(market, viewer_api):
    response = viewer_api.get("/api/strategies")
    assert response.status_code == 200
    ids = [row["strategy_id"] for row in response.json()]
    assert "v3_5b" in ids and "sma_crossover" in ids
    detail = viewer_api.get("/api/strategies/v3_5b").json()
    assert detail["effective_parameters"]["sma_slow"] == 140
    assert any(spec["name"] == "T_max" for spec in detail["parameter_specs"])
    assert viewer_api.get("/api/strategies/nope").status_code == 404


def test_runs_are_listed_without_heavy_series_and_fetched_in_parts(market, viewer_api, django_assert_max_num_queries):
    for _ in range(3):
        run = backtest_run_execute(BacktestRequest("sma_crossover", date(2015, 1, 2), date(2016, 12, 30)))
    with django_assert_max_num_queries(3):
        response = viewer_api.get("/api/backtests?strategy_id=sma_crossover&limit=2")
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["results"][0]["id"] == run.pk and body["results"][0]["sharpe"] == run.metrics["sharpe"]
    equity = viewer_api.get(f"/api/backtests/{run.pk}/equity").json()
    assert set(equity) == {"id", "equity_curve", "baseline_curve"}
    assert len(equity["equity_curve"]) == len(run.equity_curve)
    assert viewer_api.get("/api/backtests/999999").status_code == 404
    assert viewer_api.get("/api/backtests?status=bogus").status_code == 400
    assert viewer_api.get("/api/backtests?limit=lots").json()["detail"].startswith("limit")


def test_viewer_cannot_start_a_backtest(market, viewer_api):
    response = viewer_api.post(
        "/api/backtests", {"strategy_id": "v3_5b", "start": "2015-01-02", "end": "2016-01-04"}, format="json"
    )
    assert response.status_code == 403


def test_admin_starts_a_backtest_that_a_worker_completes(market, admin_api, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            "/api/backtests",
            {"strategy_id": "sma_crossover", "start": "2015-01-02", "end": "2016-12-30", "params": {"fast": "20"}},
            format="json",
        )
    assert response.status_code == 202, response.json()
    run = BacktestRun.objects.get(pk=response.json()["id"])
    assert run.status == "completed" and run.params["fast"] == 20
    assert run.started_by.username == "admin"
    assert len(run.equity_curve) > 400


def test_invalid_start_requests_are_refused_before_anything_is_stored(market, admin_api):
    bad = [
        ({"strategy_id": "nope", "start": "2015-01-02", "end": "2016-01-04"}, 404),
        ({"strategy_id": "sma_crossover", "start": "2015-01-02", "end": "2016-01-04", "params": {"fsat": "3"}}, 400),
        ({"strategy_id": "sma_crossover", "start": "2016-01-02", "end": "2015-01-04"}, 400),
        ({"strategy_id": "sma_crossover", "start": "yesterday", "end": "2015-01-04"}, 400),
    ]
    for body, status in bad:
        response = admin_api.post("/api/backtests", body, format="json")
        assert response.status_code == status, (body, response.json())
        assert response.json()["detail"]
    assert BacktestRun.objects.count() == 0


def test_a_run_whose_data_is_missing_fails_with_the_reason(
    market, admin_api, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            "/api/backtests", {"strategy_id": "v3_5b", "start": "2022-01-03", "end": "2022-12-30"}, format="json"
        )
    run = BacktestRun.objects.get(pk=response.json()["id"])
    assert run.status == "failed" and "no TQQQ bars" in run.error
