"""Running a backtest from stored market data and keeping its results as a ``BacktestRun``.

The numeric core does the work; this module loads bars from the ORM, resolves parameters and
costs through the configuration chain, turns engine errors into platform errors, and stores the
run only when it completed — an invalid request or missing data stores nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from jutsu.conf.resolver import resolve_value
from jutsu.errors import DataMissing, InvalidParameter, JutsuError
from strategies.bars import WARMUP_MARGIN, strategy_bars  # noqa: F401  (WARMUP_MARGIN: kept importable from here)
from strategies.engine.analyzer import analyze_performance
from strategies.engine.backtest import FILL_MODES, BacktestConfig, BacktestConfigError, run_backtest
from strategies.engine.errors import DataError, InvalidOrderError, StrategyParameterError
from strategies.engine.portfolio import Costs
from strategies.engine.results import BacktestResult
from strategies.engine.strategy import Strategy as EngineStrategy
from strategies.engine.strategy import get_strategy_class
from strategies.events import notify_backtest_status
from strategies.models import BacktestRun, BacktestStatus
from strategies.selectors import strategy_get
from strategies.services.registry import strategy_effective_params

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BacktestRequest:
    """What to run: a registered strategy over a date range, with optional changes."""

    strategy_id: str
    start: date
    end: date
    param_overrides: dict[str, Any] = field(default_factory=dict)
    initial_capital: Decimal | None = None
    commission_per_share: Decimal | None = None
    commission_per_trade: Decimal | None = None
    slippage: Decimal | None = None
    fill: str = "close"


def _strategy_instance(strategy_class: str, params: dict[str, Any]) -> EngineStrategy:
    try:
        return get_strategy_class(strategy_class)(params)
    except StrategyParameterError as exc:
        raise InvalidParameter(str(exc)) from None


def strategy_costs(strategy_id: str) -> Costs:
    """The strategy's cost model from the configuration chain (commission per share, slippage)."""
    return Costs(
        commission_per_share=Decimal(str(resolve_value("trading.commission_per_share", strategy_id=strategy_id))),
        commission_per_trade=Decimal(0),
        slippage=Decimal(str(resolve_value("trading.slippage", strategy_id=strategy_id))),
    )


def backtest_check(request: BacktestRequest) -> tuple[Any, EngineStrategy, BacktestConfig]:
    """Validate a request: the strategy exists, parameters and costs are valid. Nothing is written."""
    row = strategy_get(request.strategy_id)
    if request.end < request.start:
        raise InvalidParameter(f"end {request.end} is before start {request.start}")
    if request.start > timezone.localdate():
        raise InvalidParameter(f"start {request.start} is in the future")
    if request.fill not in FILL_MODES:
        raise InvalidParameter(f"fill: {request.fill!r} is not one of {', '.join(FILL_MODES)}")
    params = {**strategy_effective_params(row), **request.param_overrides}
    strategy = _strategy_instance(row.strategy_class, params)
    costs = strategy_costs(row.strategy_id)
    try:
        config = BacktestConfig(
            initial_capital=request.initial_capital if request.initial_capital is not None else row.initial_capital,
            commission_per_share=(
                request.commission_per_share if request.commission_per_share is not None else costs.commission_per_share
            ),
            commission_per_trade=request.commission_per_trade or Decimal("0"),
            slippage=request.slippage if request.slippage is not None else costs.slippage,
            fill=request.fill,
            baseline_symbol=row.baseline_symbol,
            start=request.start,
            end=request.end,
        )
    except BacktestConfigError as exc:
        raise InvalidParameter(str(exc)) from None
    return row, strategy, config


def _load_bars(strategy: EngineStrategy, config: BacktestConfig) -> dict:
    return strategy_bars(strategy, config.start, config.end, baseline_symbol=config.baseline_symbol)


def backtest_metrics(result: BacktestResult) -> dict[str, Any]:
    """The analyzer's metrics of a result (risk-free rate from the configuration), JSON-ready."""
    risk_free_rate = resolve_value("performance.risk_free_rate")
    return analyze_performance(**result.analyzer_inputs(), risk_free_rate=risk_free_rate).as_dict()


def backtest_engine_run(strategy: EngineStrategy, data: dict, config: BacktestConfig, *, feeds=None) -> BacktestResult:
    """``run_backtest`` with engine errors turned into platform errors (``feeds``: see the engine)."""
    try:
        return run_backtest(strategy, data, config, feeds=feeds)
    except DataError as exc:
        raise DataMissing(str(exc)) from None
    except (InvalidOrderError, StrategyParameterError, BacktestConfigError) as exc:
        raise InvalidParameter(str(exc)) from None


def _perform(strategy: EngineStrategy, config: BacktestConfig) -> tuple[BacktestResult, dict[str, Any], float]:
    started = time.perf_counter()
    result = backtest_engine_run(strategy, _load_bars(strategy, config), config)
    return result, backtest_metrics(result), time.perf_counter() - started


def _results(result: BacktestResult, metrics: dict[str, Any], duration: float) -> dict[str, Any]:
    payload = result.to_dict()
    return {
        "params": payload["params"],
        "config": payload["config"],
        "data_start": payload["data_range"].get("first_bar"),
        "data_end": payload["data_range"].get("last_bar"),
        "final_equity": result.final_equity,
        "metrics": metrics,
        "equity_curve": payload["equity_curve"],
        "baseline_curve": payload["baseline_curve"],
        "fills": payload["fills"],
        "trades": payload["trades"],
        "regime": payload["regime"],
        "warnings": payload["warnings"],
        "duration_seconds": duration,
        "status": BacktestStatus.COMPLETED,
        "finished_at": timezone.now(),
    }


def _log(run: BacktestRun) -> None:
    logger.info(
        "backtest #%s %s %s…%s: total return %s, sharpe %s (%.2fs)",
        run.pk,
        run.strategy_id_text,
        run.start_date,
        run.end_date,
        run.metrics.get("total_return"),
        run.metrics.get("sharpe"),
        run.duration_seconds or 0.0,
    )


def _run_fields(row, request: BacktestRequest, config: BacktestConfig, user) -> dict[str, Any]:
    """What a run records about its request, whether it runs now or on a worker."""
    return {
        "strategy": row,
        "strategy_id_text": row.strategy_id,
        "strategy_class": row.strategy_class,
        "start_date": request.start,
        "end_date": request.end,
        "initial_capital": config.initial_capital,
        "started_by": user if getattr(user, "is_authenticated", False) else None,
    }


def backtest_run_execute(request: BacktestRequest, *, user=None) -> BacktestRun:
    """Run now and store the completed run; an invalid request or missing data stores nothing."""
    row, strategy, config = backtest_check(request)
    result, metrics, duration = _perform(strategy, config)
    run = BacktestRun.objects.create(**_run_fields(row, request, config, user), **_results(result, metrics, duration))
    _log(run)
    return run


def backtest_run_start(request: BacktestRequest, *, user=None) -> BacktestRun:
    """Validate, store a pending run and queue it for a research worker (after commit)."""
    from strategies.tasks import backtest_run_task

    row, strategy, config = backtest_check(request)
    with transaction.atomic():
        run = BacktestRun.objects.create(
            **_run_fields(row, request, config, user),
            status=BacktestStatus.PENDING,
            params=strategy.params,
            config={**config.as_dict(), "request": _request_dict(request)},
        )
        transaction.on_commit(lambda: backtest_run_task.apply_async(args=[run.pk], queue="research"))
    return run


_MONEY_FIELDS = ("initial_capital", "commission_per_share", "commission_per_trade", "slippage")


def _request_dict(request: BacktestRequest) -> dict[str, Any]:
    money = {name: getattr(request, name) for name in _MONEY_FIELDS}
    return {
        "strategy_id": request.strategy_id,
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
        "param_overrides": {k: str(v) for k, v in request.param_overrides.items()},
        **{name: None if value is None else str(value) for name, value in money.items()},
        "fill": request.fill,
    }


def _request_from_dict(data: dict[str, Any]) -> BacktestRequest:
    return BacktestRequest(
        strategy_id=data["strategy_id"],
        start=date.fromisoformat(data["start"]),
        end=date.fromisoformat(data["end"]),
        param_overrides=dict(data.get("param_overrides") or {}),
        fill=data.get("fill", "close"),
        **{name: None if data.get(name) is None else Decimal(data[name]) for name in _MONEY_FIELDS},
    )


def backtest_run_perform(*, run_id: int) -> BacktestRun:
    """Worker side of ``backtest_run_start``: claim the pending run, execute it, record the outcome."""
    claimed = BacktestRun.objects.filter(pk=run_id, status=BacktestStatus.PENDING).update(status=BacktestStatus.RUNNING)
    run = BacktestRun.objects.get(pk=run_id)
    if not claimed:
        logger.info("backtest #%s is %s; not running it again", run_id, run.status)
        return run
    notify_backtest_status(run_id=run.pk, strategy_id=run.strategy_id_text, status=BacktestStatus.RUNNING)
    try:
        _row, strategy, config = backtest_check(_request_from_dict(run.config["request"]))
        result, metrics, duration = _perform(strategy, config)
    except JutsuError as exc:
        values = {"status": BacktestStatus.FAILED, "error": str(exc), "finished_at": timezone.now()}
    except Exception:
        logger.exception("backtest #%s failed", run_id)
        error = "internal error (see the server log)"
        values = {"status": BacktestStatus.FAILED, "error": error, "finished_at": timezone.now()}
    else:
        values = _results(result, metrics, duration)
        values["config"] = {**values["config"], "request": run.config["request"]}
    BacktestRun.objects.filter(pk=run_id).update(**values)
    run.refresh_from_db()
    notify_backtest_status(run_id=run.pk, strategy_id=run.strategy_id_text, status=run.status)
    if run.status == BacktestStatus.COMPLETED:
        _log(run)
    return run


def backtest_export(run: BacktestRun) -> dict[str, Any]:
    """The JSON document of a run (the ``--json`` output and the API detail); dump with DjangoJSONEncoder."""
    return {
        "id": run.pk,
        "strategy_id": run.strategy_id_text,
        "strategy_class": run.strategy_class,
        "status": run.status,
        "start": run.start_date,
        "end": run.end_date,
        "data_range": {"first_bar": run.data_start, "last_bar": run.data_end},
        "params": run.params,
        "config": run.config,
        "metrics": run.metrics,
        "equity_curve": _curve_export(run.equity_curve),
        "baseline_curve": _curve_export(run.baseline_curve),
        "regime": [{k: v for k, v in r.items() if k != "target_weights"} for r in run.regime],
        "fills": run.fills,
        "trades": run.trades,
        "warnings": run.warnings,
        "duration_seconds": run.duration_seconds,
    }


CURVE_FIELDS = ("date", "equity", "cash", "positions_value", "positions")


def _curve_export(curve: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Curve rows: date, equity, cash, positions value and the per-symbol ``positions`` ``{SYMBOL: {qty,
    value}}`` held at that day's close (``{}`` when flat)."""
    return [{k: r.get(k) or {} if k == "positions" else r.get(k) for k in CURVE_FIELDS} for r in curve]


def curve_csv_rows(curve: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """An exported curve as flat CSV rows: ``positions`` becomes ``<SYMBOL>_qty`` and ``<SYMBOL>_value`` columns
    for every symbol held at some point (sorted), empty on days it was not held. Returns (columns, rows)."""
    symbols = sorted({symbol for row in curve for symbol in row.get("positions") or {}})
    columns = [k for k in CURVE_FIELDS if k != "positions"] + [
        f"{s}_{part}" for s in symbols for part in ("qty", "value")
    ]
    rows = []
    for row in curve:
        flat = {k: row.get(k) for k in CURVE_FIELDS if k != "positions"}
        for symbol, held in (row.get("positions") or {}).items():
            flat[f"{symbol}_qty"], flat[f"{symbol}_value"] = held.get("qty"), held.get("value")
        rows.append(flat)
    return columns, rows
