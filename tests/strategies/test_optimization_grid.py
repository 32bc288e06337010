"""Grid search: each row is the single backtest, invalid grids store nothing, claims make trials idempotent."""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta

import pytest
from django.utils import timezone

from jutsu.errors import InvalidParameter, NotFound
from strategies.models import OptimizationRun, OptimizationTrial
from strategies.services.backtests import BacktestRequest, backtest_run_execute
from strategies.services.optimization_analysis import optimization_export
from strategies.services.optimization_runs import (
    OptimizationRequest,
    optimization_run_resume,
    optimization_run_start,
    optimization_run_work_locally,
    optimization_trial_execute,
)
from strategies.services.optimization_trials import bars_cache_stats, trial_claim, worker_name

pytestmark = pytest.mark.django_db

START, END = date(2012, 1, 3), date(2016, 12, 30)
GRID = {"fast": [20, 40, 60], "slow": [100, 150]}


def grid_request(**changes) -> OptimizationRequest:
    values = {"kind": "grid", "strategy_id": "sma_crossover", "start": START, "end": END, "space": GRID}
    values["fixed_params"] = {"symbol": "QQQ"}
    return OptimizationRequest(**{**values, **changes})


def run_grid(**changes) -> OptimizationRun:
    run = optimization_run_start(grid_request(**changes), execution="local")
    return optimization_run_work_locally(run.pk)


def test_each_grid_row_equals_the_single_backtest_with_the_same_parameters(market):
    run = run_grid()
    assert run.status == "completed"
    results = optimization_export(run)["results"]
    assert len(results) == 6
    for row in results:
        single = backtest_run_execute(BacktestRequest("sma_crossover", START, END, param_overrides=row["params"]))
        assert row["metrics"] == single.metrics, row["params"]
        assert row["params"]["symbol"] == "QQQ"
    sharpes = [row["metrics"]["sharpe"] for row in results]
    assert sharpes == sorted(sharpes, reverse=True)
    assert [row["rank"] for row in results] == [1, 2, 3, 4, 5, 6]
    assert run.summary["best"]["params"] == results[0]["params"]


def test_bars_are_read_once_per_run_and_process_not_per_combination(market):
    before = bars_cache_stats()
    run_grid()
    after = bars_cache_stats()
    assert after["loads"] - before["loads"] == 1
    assert after["hits"] - before["hits"] == 5


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"space": {"fast": [20, "bogus"]}}, "parameter 'fast': expected an integer, got 'bogus'"),
        ({"space": {"nosuch": [1, 2]}}, "parameter 'nosuch': unknown parameter"),
        ({"space": {"fast": [0, 10]}}, "parameter 'fast': 0 is below the minimum 1"),
        ({"space": {}}, "the grid is empty"),
        ({"space": {"fast": [200, 300], "slow": [100]}}, "no valid combination"),
        ({"fixed_params": {"symbol": "QQQ", "fast": 10}}, "given both as a fixed value and in the grid"),
        ({"fixed_params": {"bogus": 1}}, "parameter 'bogus': unknown parameter"),
        ({"metric": "sharp"}, "did you mean 'sharpe'"),
        ({"end": date(2011, 1, 3)}, "is before start"),
    ],
)
def test_invalid_grids_are_refused_and_nothing_is_stored(market, changes, message):
    with pytest.raises(InvalidParameter, match=message):
        optimization_run_start(grid_request(**changes), execution="local")
    assert not OptimizationRun.objects.exists()
    assert not OptimizationTrial.objects.exists()


def test_an_unknown_strategy_is_not_found(market):
    with pytest.raises(NotFound, match="unknown strategy 'nope'"):
        optimization_run_start(grid_request(strategy_id="nope"), execution="local")


def test_a_finished_trial_is_never_recomputed_by_a_duplicate_task(market):
    run = run_grid()
    trial = OptimizationTrial.objects.filter(run=run).first()
    finished_at = trial.finished_at
    assert optimization_trial_execute(trial.pk, token="duplicate") is False
    trial.refresh_from_db()
    assert trial.finished_at == finished_at and trial.attempts == 1
    assert OptimizationTrial.objects.filter(run=run).count() == 6


def test_claims_exclude_other_workers_until_they_time_out_and_a_redelivery_takes_its_own_back(market):
    run = optimization_run_start(grid_request(), execution="local")
    trial = OptimizationTrial.objects.filter(run=run).first()
    assert trial_claim(trial.pk, token="task-1", worker="host-a:1") == "task-1"
    assert trial_claim(trial.pk, token="task-2", worker="host-b:2") is None
    assert trial_claim(trial.pk, token="task-1", worker="host-a:3") == "task-1"  # the same message, redelivered
    OptimizationTrial.objects.filter(pk=trial.pk).update(claimed_at=timezone.now() - timedelta(seconds=301))
    assert trial_claim(trial.pk, token="task-2", worker="host-b:2") == "task-2"
    assert OptimizationTrial.objects.get(pk=trial.pk).attempts == 3


def test_resuming_recomputes_only_what_was_not_finished(market):
    run = optimization_run_start(grid_request(), execution="local")
    trials = list(OptimizationTrial.objects.filter(run=run).order_by("number"))
    for trial in trials[:3]:
        optimization_trial_execute(trial.pk)
    done_before = {t.pk: t.finished_at for t in OptimizationTrial.objects.filter(run=run, status="completed")}
    # a crashed local process left trial 3 claimed: its pid no longer exists on this host
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert trial_claim(trials[3].pk, worker=f"{worker_name().rsplit(':', 1)[0]}:{dead.pid}")
    run = optimization_run_resume(run.pk, execution="local")
    assert run.status == "completed"
    after = OptimizationTrial.objects.filter(run=run)
    assert after.count() == 6 and all(t.status == "completed" for t in after)
    assert {t.pk: t.finished_at for t in after if t.pk in done_before} == done_before
    assert all(t.attempts == 1 for t in after if t.pk != trials[3].pk)
    assert os.getpid()  # this process was never treated as dead


def test_celery_execution_runs_the_same_trials_through_the_research_task(market, django_capture_on_commit_callbacks):
    from jutsu.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = optimization_run_start(grid_request(), execution="celery")
    finally:
        app.conf.task_always_eager = False
    run.refresh_from_db()
    assert run.status == "completed"
    assert run.options["execution"] == "celery"
    local = run_grid()
    assert [r["params"] for r in optimization_export(run)["results"]] == [
        r["params"] for r in optimization_export(local)["results"]
    ]


def test_a_combination_without_data_fails_and_the_run_says_why(market):
    run = run_grid(space={"symbol": ["QQQ", "SPY"]}, fixed_params={})
    assert run.status == "completed"
    document = optimization_export(run)
    assert [r["params"]["symbol"] for r in document["results"]] == ["QQQ"]
    assert document["failed"][0]["params"] == {"symbol": "SPY"}
    assert "no SPY bars" in document["failed"][0]["error"]
    everything_missing = run_grid(space={"symbol": ["SPY", "DIA"]}, fixed_params={})
    assert everything_missing.status == "failed"
    assert "all 2 trials failed" in everything_missing.error
