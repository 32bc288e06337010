"""Bayesian search: Optuna study in the project's storage, trials run like grid trials, seeded, resumable."""

from __future__ import annotations

from datetime import date

import pytest

from jutsu.celery import app as celery_app
from jutsu.errors import InvalidParameter
from strategies.models import OptimizationRun, OptimizationTrial
from strategies.services.optimization_analysis import optimization_export
from strategies.services.optimization_runs import (
    OptimizationRequest,
    optimization_run_resume,
    optimization_run_start,
    optimization_run_work_locally,
)
from strategies.services.optimization_search import search_advance

pytestmark = pytest.mark.django_db

SPACE = {"fast": {"low": 5, "high": 60}, "slow": {"low": 80, "high": 200, "step": 10}}


def search_request(**changes) -> OptimizationRequest:
    values = {
        "kind": "search",
        "strategy_id": "sma_crossover",
        "start": date(2013, 1, 2),
        "end": date(2016, 12, 30),
        "space": SPACE,
        "fixed_params": {"symbol": "QQQ"},
        "n_trials": 8,
        "seed": 11,
        "batch_size": 3,
    }
    return OptimizationRequest(**{**values, **changes})


def run_search(**changes) -> OptimizationRun:
    return optimization_run_work_locally(optimization_run_start(search_request(**changes), execution="local").pk)


def suggestions(run: OptimizationRun) -> list[dict]:
    return [t.params for t in OptimizationTrial.objects.filter(run=run).order_by("number")]


def test_a_seeded_search_is_reproducible_and_stays_within_its_ranges_and_budget(market):
    first, second = run_search(), run_search()
    assert first.status == second.status == "completed"
    assert suggestions(first) == suggestions(second)
    assert 1 <= len(suggestions(first)) <= 8 and first.total_trials == len(suggestions(first))
    for params in suggestions(first):
        assert 5 <= params["fast"] <= 60 and 80 <= params["slow"] <= 200 and params["slow"] % 10 == 0
    document = optimization_export(first)
    sharpes = [r["metrics"]["sharpe"] for r in document["results"]]
    assert sharpes == sorted(sharpes, reverse=True)
    assert first.options["study"] != second.options["study"]
    assert suggestions(run_search(seed=12)) != suggestions(first)


def test_the_first_batch_is_asked_at_start_and_the_next_only_when_it_has_finished(market):
    run = optimization_run_start(search_request(), execution="local")
    assert OptimizationTrial.objects.filter(run=run).count() == 3
    assert search_advance(run) == []  # the batch is still pending
    for trial in OptimizationTrial.objects.filter(run=run):
        OptimizationTrial.objects.filter(pk=trial.pk).update(status="failed", error="test")
    created = search_advance(run)
    assert len(created) == 3 and OptimizationTrial.objects.filter(run=run).count() == 6


def test_a_trial_asked_but_never_stored_is_recreated_on_resume(market):
    run = optimization_run_start(search_request(), execution="local")
    lost = OptimizationTrial.objects.filter(run=run).order_by("number").last()
    lost_params = lost.params
    lost.delete()  # as if the process died between asking the study and storing the row
    run = optimization_run_resume(run.pk, execution="local")
    assert run.status == "completed"
    assert lost_params in suggestions(run)
    assert suggestions(run) == suggestions(run_search())


def test_invalid_search_ranges_store_nothing(market):
    with pytest.raises(InvalidParameter, match="'fast': low 60 must be below high 5"):
        optimization_run_start(search_request(space={"fast": {"low": 60, "high": 5}}), execution="local")
    with pytest.raises(InvalidParameter, match="the search space is empty"):
        optimization_run_start(search_request(space={}), execution="local")
    assert not OptimizationRun.objects.exists()


def test_search_trials_run_on_the_research_workers_too(market, django_capture_on_commit_callbacks):
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = optimization_run_start(search_request(n_trials=5), execution="celery")
    finally:
        celery_app.conf.task_always_eager = False
    run.refresh_from_db()
    assert run.status == "completed", run.error
    assert suggestions(run) == suggestions(run_search(n_trials=5))
    assert 0 <= run.audit["pbo"] <= 1 and run.audit["plateau"]["method"] == "5 nearest trials"
