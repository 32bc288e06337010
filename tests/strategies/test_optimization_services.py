"""A grid fanned out to a real Celery worker on Redis + PostgreSQL survives the worker being killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date

import pytest

from strategies.models import OptimizationRun, OptimizationTrial
from strategies.services.optimization_analysis import optimization_export
from strategies.services.optimization_runs import (
    OptimizationRequest,
    optimization_run_start,
    optimization_run_work_locally,
)
from tests.services import ROOT, require_services, subprocess_env, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REQUEST = OptimizationRequest(
    kind="grid",
    strategy_id="v3_5b",
    start=date(2012, 1, 3),
    end=date(2016, 12, 30),
    space={"sma_fast": [30, 40, 50], "sma_slow": [120, 160], "upper_thresh_z": [0.8, 1.2]},
)


def start_worker(log_path, name: str) -> subprocess.Popen:
    """A research worker in its own session, so the whole process group can be killed at once."""
    log = log_path.open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "jutsu", "worker", "-Q", "research", "--concurrency", "1",
         "--without-gossip", "--without-mingle", "-n", name, "--loglevel", "INFO"],
        cwd=ROOT, env=subprocess_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def done(run_id: int) -> int:
    return OptimizationTrial.objects.filter(run_id=run_id, status__in=("completed", "failed")).count()


def test_killing_a_worker_mid_grid_loses_nothing_duplicates_nothing_and_ranks_the_same(market, tmp_path):
    require_services()
    log = tmp_path / "worker.log"
    worker = start_worker(log, "research-kill@test")
    try:
        run = optimization_run_start(REQUEST, execution="celery")
        total = run.total_trials
        wait_for(lambda: done(run.pk) >= 2, timeout=240, what="two finished trials", log=log)
        kill_group(worker)  # main process and pool child, mid-grid, no chance to clean up
        finished_before = {t.pk: t.finished_at for t in OptimizationTrial.objects.filter(run=run, status="completed")}
        assert len(finished_before) < total, "the grid finished before the worker could be killed"
        worker = start_worker(log, "research-kill@test")  # the restarted worker recovers the run at start
        wait_for(
            lambda: OptimizationRun.objects.get(pk=run.pk).status == "completed",
            timeout=300,
            what="the run to complete after the restart",
            log=log,
        )
    finally:
        kill_group(worker, signal.SIGTERM)
    trials = OptimizationTrial.objects.filter(run=run)
    assert trials.count() == total and len({t.key for t in trials}) == total
    assert all(t.status == "completed" for t in trials)
    # finished trials were never recomputed
    assert {t.pk: t.finished_at for t in trials if t.pk in finished_before} == finished_before
    celery_results = optimization_export(OptimizationRun.objects.get(pk=run.pk))["results"]
    local = optimization_run_work_locally(optimization_run_start(REQUEST, execution="local").pk)
    local_results = optimization_export(local)["results"]
    assert [r["params"] for r in celery_results] == [r["params"] for r in local_results]
    assert [r["metrics"] for r in celery_results] == [r["metrics"] for r in local_results]
