"""Optimisation runs (grid, walk-forward, Bayesian search): validate, store, fan out, recover, finish.

A run is an ``OptimizationRun`` and one ``OptimizationTrial`` per parameter combination. Trials are
executed either

* through **Celery** (``execution="celery"``): one ``optimization_trial_task`` per trial on the
  ``research`` queue, so every worker machine consuming that queue shares the run; or
* **locally** (``execution="local"``): the calling process (``manage.py optimize`` without a worker)
  runs the very same trial service one trial after the other.

Either way every trial ends with :func:`optimization_run_advance`, which publishes progress, lets a
search ask for its next trials and finishes the run once nothing is left (ranking summary,
walk-forward analysis, overfitting audit). Recovery (:func:`optimization_run_recover`) puts abandoned
trials back to pending — claims of dead processes on this host at once, others after
``research.claim_timeout_seconds`` — and re-queues the pending ones; it runs when a worker starts,
when the waiting command sees no progress, and on ``manage.py optimize resume``. Finished trials are
never recomputed: a trial is claimed only while pending (or abandoned), and rows are unique per
(run, parameters).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from jutsu.errors import InvalidParameter, NotFound
from strategies.engine.errors import StrategyParameterError
from strategies.engine.optimize import (
    WINDOW_METRICS,
    GridError,
    grid_expand,
    metric_check,
    param_key,
    search_space_validate,
)
from strategies.engine.params import validate_params
from strategies.engine.strategy import get_strategy_class
from strategies.events import notify_optimization_progress
from strategies.models import OptimizationKind, OptimizationRun, OptimizationStatus, OptimizationTrial, TrialStatus
from strategies.selectors import optimization_trial_counts, strategy_get
from strategies.services.backtests import backtest_check
from strategies.services.optimization_analysis import optimization_audit_compute, optimization_summary
from strategies.services.optimization_search import (
    search_advance,
    search_exhausted,
    search_storage_label,
    search_study_name,
)
from strategies.services.optimization_trials import claim_timeout, request_for, trial_perform, worker_name
from strategies.services.registry import strategy_effective_params

logger = logging.getLogger(__name__)

EXECUTIONS = ("local", "celery")
KINDS = (OptimizationKind.GRID, OptimizationKind.WALKFORWARD, OptimizationKind.SEARCH)


@dataclass(frozen=True)
class OptimizationRequest:
    """What to optimise: a strategy over a range, a grid (or search ranges), fixed parameters, a metric."""

    kind: str
    strategy_id: str
    start: date
    end: date
    space: dict[str, Any]
    fixed_params: dict[str, Any] = field(default_factory=dict)
    metric: str = "sharpe"
    is_bars: int = 252
    oos_bars: int = 63
    n_trials: int = 50
    seed: int | None = None
    batch_size: int = 4
    fill: str = "close"


@dataclass(frozen=True)
class OptimizationPlan:
    """A checked request: the strategy row and class, the validated space and the grid's combinations."""

    row: Any
    strategy_class: type
    space: dict[str, Any]
    fixed_params: dict[str, Any]
    combinations: list[dict[str, Any]]
    skipped: list[str]
    max_warmup_bars: int


def _invalid(exc: Exception) -> InvalidParameter:
    return InvalidParameter(str(exc))


def optimization_check(request: OptimizationRequest) -> OptimizationPlan:
    """Validate a request completely — strategy, range, metric, fixed parameters, grid or ranges. Nothing is
    written; every problem is an ``InvalidParameter``/``NotFound`` naming what is wrong."""
    if request.kind not in KINDS:
        raise InvalidParameter(f"kind: {request.kind!r} is not one of {', '.join(KINDS)}")
    row = strategy_get(request.strategy_id)
    cls = get_strategy_class(row.strategy_class)
    try:
        metric_check(request.metric)
        if request.kind == OptimizationKind.WALKFORWARD and request.metric not in WINDOW_METRICS:
            raise GridError("metric", f"walk-forward ranks windows by an equity metric: {', '.join(WINDOW_METRICS)}")
        fixed = {
            k: v for k, v in validate_params(cls.param_specs, request.fixed_params).items() if k in request.fixed_params
        }
        both = sorted(set(fixed) & set(request.space))
        if both:
            raise GridError(both[0], "given both as a fixed value and in the grid/ranges")
        base = {**strategy_effective_params(row), **fixed}
        if request.kind == OptimizationKind.SEARCH:
            dims = search_space_validate(cls.param_specs, request.space)
            space = {d.name: d.as_dict() for d in dims}
            combinations, skipped = [], []
        else:
            expansion = grid_expand(cls, request.space, base)
            space, combinations = expansion.grid, expansion.combinations
            skipped = [f"{combo}: {why}" for combo, why in expansion.skipped]
    except StrategyParameterError as exc:
        raise _invalid(exc) from None
    _check_numbers(request)
    sample = combinations[0] if combinations else {}
    probe = OptimizationRun(
        strategy_id_text=row.strategy_id, start_date=request.start, end_date=request.end, fixed_params=fixed
    )
    probe.options = {"fill": request.fill}
    backtest_check(request_for(probe, sample))  # range, fill mode and costs, as a single backtest checks them
    warmups = [cls({**base, **combo}).warmup_bars for combo in combinations] or [cls(base).warmup_bars]
    return OptimizationPlan(row, cls, space, fixed, combinations, skipped, max(warmups))


def _check_numbers(request: OptimizationRequest) -> None:
    if request.kind == OptimizationKind.WALKFORWARD:
        if request.is_bars < 2 or request.oos_bars < 1:
            raise InvalidParameter("walk-forward windows: is_bars must be ≥ 2 and oos_bars ≥ 1")
        weekdays = int(np.busday_count(request.start, request.end)) + 1
        if weekdays < request.is_bars + request.oos_bars:
            raise InvalidParameter(
                f"{request.start} … {request.end} has at most {weekdays} trading days; a walk-forward needs "
                f"is_bars + oos_bars = {request.is_bars + request.oos_bars} (a longer range or shorter windows)"
            )
    if request.kind == OptimizationKind.SEARCH:
        if not 1 <= request.n_trials <= 10_000:
            raise InvalidParameter(f"trials: between 1 and 10000, got {request.n_trials}")
        if not 1 <= request.batch_size <= 256:
            raise InvalidParameter(f"batch size: between 1 and 256, got {request.batch_size}")


def optimization_run_start(request: OptimizationRequest, *, execution: str, user=None) -> OptimizationRun:
    """Validate, then store the run and its pending trials in one transaction; with ``execution="celery"``
    queue one task per trial after commit. An invalid request stores nothing."""
    if execution not in EXECUTIONS:
        raise InvalidParameter(f"execution: {execution!r} is not one of {', '.join(EXECUTIONS)}")
    plan = optimization_check(request)
    options: dict[str, Any] = {
        "execution": execution,
        "fill": request.fill,
        "max_warmup_bars": plan.max_warmup_bars,
        "skipped": plan.skipped,
    }
    if request.kind == OptimizationKind.WALKFORWARD:
        options.update(is_bars=request.is_bars, oos_bars=request.oos_bars)
    if request.kind == OptimizationKind.SEARCH:
        seed = secrets.randbelow(2**31) if request.seed is None else int(request.seed)
        options.update(
            n_trials=request.n_trials,
            seed=seed,
            batch_size=request.batch_size,
            study=search_study_name(),
            storage=search_storage_label(),
        )
    with transaction.atomic():
        run = OptimizationRun.objects.create(
            kind=request.kind,
            status=OptimizationStatus.RUNNING,
            strategy=plan.row,
            strategy_id_text=plan.row.strategy_id,
            strategy_class=plan.row.strategy_class,
            start_date=request.start,
            end_date=request.end,
            metric=request.metric,
            space=plan.space,
            fixed_params=plan.fixed_params,
            options=options,
            total_trials=request.n_trials if request.kind == OptimizationKind.SEARCH else len(plan.combinations),
            started_by=user if getattr(user, "is_authenticated", False) else None,
        )
        OptimizationTrial.objects.bulk_create(
            OptimizationTrial(run=run, number=i, key=param_key(combo), params=combo)
            for i, combo in enumerate(plan.combinations)
        )
        if request.kind == OptimizationKind.SEARCH:
            search_advance(run)
        if execution == "celery":
            transaction.on_commit(lambda: optimization_trials_enqueue(run.pk))
    logger.info(
        "optimisation #%s (%s, %s): %s trials, %s", run.pk, run.kind, run.strategy_id_text, run.total_trials, execution
    )
    return run


def optimization_trials_enqueue(run_id: int, trial_ids: list[int] | None = None) -> int:
    """Queue one research task per pending trial of the run (or per given trial); returns how many."""
    from strategies.tasks import optimization_trial_task

    if trial_ids is None:
        trial_ids = list(
            OptimizationTrial.objects.filter(run_id=run_id, status=TrialStatus.PENDING)
            .order_by("number")
            .values_list("id", flat=True)
        )
    for trial_id in trial_ids:
        optimization_trial_task.apply_async(args=[trial_id], queue="research")
    return len(trial_ids)


def _progress_step(total: int) -> int:
    return max(1, total // 50)


def optimization_run_advance(run_id: int) -> OptimizationRun:
    """After a trial: publish progress, let a search ask for more trials, finish the run when nothing is left."""
    run = OptimizationRun.objects.get(pk=run_id)
    if run.status != OptimizationStatus.RUNNING:
        return run
    if run.kind == OptimizationKind.SEARCH:
        created = search_advance(run)
        if created and run.options.get("execution") == "celery":
            transaction.on_commit(lambda: optimization_trials_enqueue(run.pk, created))
    counts = optimization_trial_counts(run_id)
    done = counts[TrialStatus.COMPLETED] + counts[TrialStatus.FAILED]
    if done % _progress_step(run.total_trials) == 0 or done >= run.total_trials:
        notify_optimization_progress(
            run_id=run.pk,
            kind=run.kind,
            status=run.status,
            done=done,
            failed=counts[TrialStatus.FAILED],
            total=run.total_trials,
        )
    idle = not counts[TrialStatus.PENDING] and not counts[TrialStatus.RUNNING]
    if idle and (run.kind != OptimizationKind.SEARCH or search_exhausted(run)):
        return optimization_run_finish(run_id)
    return run


def optimization_run_finish(run_id: int) -> OptimizationRun:
    """Rank, analyse and audit the finished trials, then complete the run (once: a conditional update)."""
    run = OptimizationRun.objects.get(pk=run_id)
    counts = optimization_trial_counts(run_id)
    values: dict[str, Any] = {"finished_at": timezone.now()}
    if run.kind == OptimizationKind.SEARCH:  # repeated suggestions were answered without a row of their own
        values["total_trials"] = sum(counts.values())
    if not counts[TrialStatus.COMPLETED]:
        first = OptimizationTrial.objects.filter(run_id=run_id, status=TrialStatus.FAILED).order_by("number").first()
        values.update(
            status=OptimizationStatus.FAILED,
            error=f"all {counts[TrialStatus.FAILED]} trials failed; first: {first.error if first else 'unknown'}",
        )
    else:
        try:
            values.update(summary=optimization_summary(run), audit=optimization_audit_compute(run))
            values["status"] = OptimizationStatus.COMPLETED
        except (InvalidParameter, ValueError) as exc:
            values.update(status=OptimizationStatus.FAILED, error=str(exc))
    finished = OptimizationRun.objects.filter(pk=run_id, status=OptimizationStatus.RUNNING).update(**values)
    run.refresh_from_db()
    if finished:
        notify_optimization_progress(
            run_id=run.pk,
            kind=run.kind,
            status=run.status,
            done=counts[TrialStatus.COMPLETED] + counts[TrialStatus.FAILED],
            failed=counts[TrialStatus.FAILED],
            total=run.total_trials,
        )
        logger.info("optimisation #%s %s", run.pk, run.status)
    return run


def optimization_trial_execute(trial_id: int, *, token: str | None = None) -> bool:
    """Worker side of one trial: perform it, then advance its run. False when the trial was not claimable."""
    performed = trial_perform(trial_id, token=token)
    run_id = OptimizationTrial.objects.filter(pk=trial_id).values_list("run_id", flat=True).first()
    if run_id is not None:
        optimization_run_advance(run_id)
    return performed


# ------------------------------------------------------------------------------------------ recovery


def _claim_is_dead(claimed_by: str) -> bool:
    """True when the claim belongs to a process of this host that no longer exists."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def optimization_run_recover(run_id: int, *, enqueue: bool) -> int:
    """Put abandoned trials back to pending (dead process on this host, or claim older than the timeout),
    queue the pending ones when ``enqueue``, and finish the run if nothing is left. Returns trials reset."""
    stale_before = timezone.now() - claim_timeout()
    reset = 0
    running = OptimizationTrial.objects.filter(run_id=run_id, status=TrialStatus.RUNNING)
    for trial_id, token, claimed_by, claimed_at in running.values_list("id", "claim_token", "claimed_by", "claimed_at"):
        if _claim_is_dead(claimed_by) or (claimed_at and claimed_at < stale_before):
            reset += OptimizationTrial.objects.filter(
                pk=trial_id, status=TrialStatus.RUNNING, claim_token=token
            ).update(status=TrialStatus.PENDING, claim_token="", claimed_by="", claimed_at=None)
    if reset:
        logger.info("optimisation #%s: %s abandoned trial(s) back to pending", run_id, reset)
    if enqueue:
        optimization_trials_enqueue(run_id)
    optimization_run_advance(run_id)
    return reset


def optimization_runs_recover_all() -> list[int]:
    """Recover every running Celery-executed run (called when a worker starts). Returns their ids."""
    ids = list(
        OptimizationRun.objects.filter(status=OptimizationStatus.RUNNING, options__execution="celery").values_list(
            "id", flat=True
        )
    )
    for run_id in ids:
        optimization_run_recover(run_id, enqueue=True)
    return ids


def optimization_run_work_locally(
    run_id: int, *, on_progress: Callable[[dict[str, int], int], None] | None = None
) -> OptimizationRun:
    """Run the pending trials of a run in this process, one after the other, until the run is finished."""
    worker = worker_name()
    optimization_run_recover(run_id, enqueue=False)
    while True:
        trial_id = (
            OptimizationTrial.objects.filter(run_id=run_id, status=TrialStatus.PENDING)
            .order_by("number")
            .values_list("id", flat=True)
            .first()
        )
        if trial_id is None:
            break
        trial_perform(trial_id, worker=worker)
        run = optimization_run_advance(run_id)
        if on_progress is not None:
            on_progress(optimization_trial_counts(run_id), run.total_trials)
    return optimization_run_advance(run_id)


def optimization_run_resume(run_id: int, *, execution: str) -> OptimizationRun:
    """Continue an unfinished run (after a crash, a restart or a lost broker): finished trials stay as they are."""
    run = OptimizationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"optimisation run {run_id} not found")
    if run.kind not in KINDS:
        raise InvalidParameter(f"run {run_id} is a {run.kind} run; only grid, walk-forward and search runs resume")
    if run.status != OptimizationStatus.RUNNING:
        return run
    if run.options.get("execution") != execution:
        OptimizationRun.objects.filter(pk=run_id).update(options={**run.options, "execution": execution})
    if execution == "celery":
        optimization_run_recover(run_id, enqueue=True)
        return OptimizationRun.objects.get(pk=run_id)
    return optimization_run_work_locally(run_id)
