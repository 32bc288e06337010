"""Running one trial of an optimisation run: claim it, backtest its parameters, store the outcome.

Phases, in order: **claim** (a conditional update: pending → running with a fresh claim token; a trial
whose claim is older than ``research.claim_timeout_seconds`` counts as abandoned, and a redelivered
Celery message — same task id — may take its own claim back) → **compute** in memory (no transaction
open) → **store** with an update conditional on the claim token, so a slow worker whose claim was taken
over cannot overwrite a newer result (both would be equal anyway: runs are deterministic).

The backtest is exactly the one ``manage.py backtest`` runs for the same parameters (same request
validation, costs, warm-up and metrics). Bars are read through ``strategies.bars`` once per worker process and
run (:class:`~strategies.engine.optimize.SharedBars`, loaded with the longest warm-up any trial
needs) and cut per trial; aligned feeds and their indicator series are shared between trials that see
the same bars.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from jutsu.conf.resolver import resolve_value
from jutsu.errors import JutsuError
from strategies.bars import WARMUP_MARGIN, bars_check_required, bars_read, strategy_symbols, warmup_bars
from strategies.engine.optimize import SharedBars, metric_score
from strategies.models import OptimizationRun, OptimizationTrial, TrialStatus
from strategies.services.backtests import BacktestRequest, backtest_check, backtest_engine_run, backtest_metrics

logger = logging.getLogger(__name__)

_CACHE_SIZE = 4
_bars_cache: OrderedDict[tuple, SharedBars] = OrderedDict()
_bars_stats = {"loads": 0, "hits": 0}


def worker_name() -> str:
    """Who claims: the Celery worker's node name when set by the task, else host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_timeout() -> timedelta:
    return timedelta(seconds=int(resolve_value("research.claim_timeout_seconds")))


def trial_claim(trial_id: int, *, token: str | None = None, worker: str | None = None) -> str | None:
    """Claim a trial for this process; the claim token, or ``None`` when another worker has it or it is done."""
    token = token or uuid.uuid4().hex
    now = timezone.now()
    claimable = Q(status=TrialStatus.PENDING) | Q(status=TrialStatus.RUNNING, claimed_at__lt=now - claim_timeout())
    claimable |= Q(status=TrialStatus.RUNNING, claim_token=token)
    claimed = (
        OptimizationTrial.objects.filter(claimable, pk=trial_id)
        .exclude(run__status__in=("completed", "failed"))
        .update(
            status=TrialStatus.RUNNING,
            claim_token=token,
            claimed_by=(worker or worker_name())[:200],
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    )
    return token if claimed else None


def request_for(run: OptimizationRun, params: dict[str, Any]) -> BacktestRequest:
    """The single-backtest request of a trial: the run's strategy and range, fixed parameters, then the trial's."""
    return BacktestRequest(
        strategy_id=run.strategy_id_text,
        start=run.start_date,
        end=run.end_date,
        param_overrides={**run.fixed_params, **params},
        fill=run.options.get("fill", "close"),
    )


def _shared_bars(run: OptimizationRun, strategy, config) -> SharedBars:
    """The run's bars for this trial's symbols, loaded once per process (with enough warm-up for every trial)."""
    symbols = tuple(sorted(strategy_symbols(strategy, config.baseline_symbol)))
    needed = warmup_bars(strategy)
    key = (run.pk, run.created_at, symbols)  # created_at: ids can repeat across databases (tests)
    shared = _bars_cache.get(key)
    if shared is not None and shared.warmup_bars >= needed:
        _bars_cache.move_to_end(key)
        _bars_stats["hits"] += 1
        return shared
    longest = int(run.options.get("max_warmup_bars") or 0) + WARMUP_MARGIN
    warmup = max(needed, longest, shared.warmup_bars if shared else 0)
    frames = bars_read(symbols, config.start, config.end, warmup_bars=warmup)
    shared = SharedBars(frames, config.start, warmup)
    _bars_cache[key] = shared
    _bars_cache.move_to_end(key)
    while len(_bars_cache) > _CACHE_SIZE:
        _bars_cache.popitem(last=False)
    _bars_stats["loads"] += 1
    return shared


def trial_compute(run: OptimizationRun, params: dict[str, Any]) -> dict[str, Any]:
    """Backtest ``params`` within ``run``: the fields to store (metrics, ranking value, dates, equity)."""
    started = time.perf_counter()
    _row, strategy, config = backtest_check(request_for(run, params))
    shared = _shared_bars(run, strategy, config)
    frames = shared.frames(strategy_symbols(strategy, config.baseline_symbol), warmup_bars(strategy))
    bars_check_required(strategy, frames, config.start, config.end)
    data = {symbol: frame for symbol, frame in frames.items() if len(frame)}
    result = backtest_engine_run(strategy, data, config, feeds=shared.pool)
    metrics = backtest_metrics(result)
    return {
        "metrics": metrics,
        "value": metric_score(metrics, run.metric) if run.metric else None,
        "dates": [row["date"].isoformat() for row in result.equity_curve],
        "equity": [float(row["equity"]) for row in result.equity_curve],
        "duration_seconds": time.perf_counter() - started,
    }


def trial_perform(trial_id: int, *, token: str | None = None, worker: str | None = None) -> bool:
    """Claim, compute and store one trial. False when it was not claimable (done, or another worker has it)."""
    token = trial_claim(trial_id, token=token, worker=worker)
    if token is None:
        return False
    trial = OptimizationTrial.objects.select_related("run").get(pk=trial_id)
    try:
        values = {**trial_compute(trial.run, trial.params), "status": TrialStatus.COMPLETED, "error": ""}
    except JutsuError as exc:
        values = {"status": TrialStatus.FAILED, "error": str(exc)}
    except Exception:
        logger.exception("trial %s of optimisation #%s failed", trial.number, trial.run_id)
        values = {"status": TrialStatus.FAILED, "error": "internal error (see the server log)"}
    stored = OptimizationTrial.objects.filter(pk=trial_id, claim_token=token).update(
        **values, finished_at=timezone.now()
    )
    if not stored:
        logger.info("trial %s of optimisation #%s was taken over; result dropped", trial.number, trial.run_id)
    return bool(stored)


def bars_cache_stats() -> dict[str, int]:
    """How often this process loaded bars from the database vs reused them (for the benchmark and tests)."""
    return dict(_bars_stats)
