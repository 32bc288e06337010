"""The daily trading run: every active strategy, primary first, isolated, one shared data fetch.

``trading_day_run(as_of=…)`` is what the ``daily_trading`` job calls while the engine is running:

1. **Prepare** each active strategy (registry order, primary first): its mode (the engine's; ``paper`` for a
   ``paper_trading`` strategy while the engine trades ``online_live``), its account (opened on its first day
   S), its effective parameters, costs and capital. A day before the account's last trading day is refused.
2. **Fetch once** the bars of every symbol involved (history up to the previous session with the longest
   warm-up), the day's quotes (replayed from stored bars for a past ``as_of``), and build today's bar
   (``trading.runner.bars``). Stale symbols trigger one sync through the configured sources.
3. Per strategy, **isolated** (an exception or a timeout never stops the others):

   * the day's orders already exist (a re-run, or a run killed mid-way) → drive them to the end (nothing is
     decided or sent twice);
   * otherwise the data-freshness check, then **decide** — the pure engine call, in a worker thread under
     the registry's ``execution_timeout`` (abandoned on timeout) — then write the regime state, record the
     orders and **execute** them through the mode's executor (the engine must stay ``running``: a stop halts
     the remaining orders);
   * mark positions, report equity (``trading.equity`` → a ``trading_job`` snapshot with the regime) and
     record the day on the account.

4. The run is ``completed`` (every strategy fine), ``partial`` or ``failed``; per-strategy outcomes and errors
   are ``StrategyRunResult`` rows. A strategy not traded gets an ``error`` event and a notification.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from jutsu.errors import DataMissing, JutsuError
from jutsu.scheduler import calendar
from strategies.bars import bars_check_required, bars_read, bars_window, strategy_symbols, warmup_bars
from strategies.engine import AccountState, Decision, decide
from strategies.engine.errors import DataError
from strategies.engine.portfolio import to_money
from strategies.engine.strategy import Strategy as EngineStrategy
from strategies.models import Strategy
from strategies.registry import registry_settings
from strategies.selectors import strategies_list
from strategies.services.backtests import BacktestRequest, backtest_check
from trading import equity
from trading.executors import executor_for
from trading.models import (
    RunStatus,
    Side,
    StrategyRunResult,
    StrategyRunStatus,
    TradeReason,
    TradingAccount,
    TradingRun,
)
from trading.modes import Mode
from trading.notify import notify_strategy_not_traded
from trading.quotes import quote_source_for
from trading.runner.bars import frames_with_today, stale_symbols
from trading.selectors import orders_of_day, positions_held, regime_state_latest
from trading.services.engine import engine_running_check, engine_state_get
from trading.services.ledger import (
    TradeContext,
    account_mark_traded,
    account_open,
    account_value,
    positions_mark,
)
from trading.services.orders import ExecutionReport, OrderRequest, orders_execute, orders_record
from trading.services.regime import regime_state_record

logger = logging.getLogger(__name__)


class NotTraded(JutsuError):
    """The strategy is not traded today (the message says why)."""

    code = "not_traded"


class DecisionTimeout(JutsuError):
    """The decision did not finish within the execution timeout."""

    code = "timeout"


@dataclass
class _Job:
    """One strategy in today's run."""

    row: Strategy
    mode: str
    account: TradingAccount | None = None
    engine: EngineStrategy | None = None
    config: Any = None
    result: StrategyRunResult | None = None
    error: BaseException | None = None
    started: float = field(default_factory=time.perf_counter)


def strategy_mode(row: Strategy, engine_mode: str) -> str:
    """A ``paper_trading`` strategy shadows on paper while the engine trades live; else the engine's mode."""
    return Mode.PAPER if engine_mode == Mode.ONLINE_LIVE and row.paper_trading else engine_mode


def strategies_in_run_order() -> list[Strategy]:
    """Active strategies, primary first, then by execution order."""
    rows = list(strategies_list(active_only=True))
    return sorted(rows, key=lambda r: (not r.is_primary, r.execution_order, r.strategy_id))


def trading_day_run(*, as_of: datetime, job_run=None) -> TradingRun:
    """Run every active strategy for the session of ``as_of`` (see the module docstring)."""
    day = calendar.market_date(as_of)
    if calendar.session(day) is None:
        raise NotTraded(f"{day.isoformat()} is not an NYSE trading day")
    engine_mode = engine_state_get().mode
    run = TradingRun.objects.create(
        job_run=job_run, trading_date=day, as_of=as_of, mode=engine_mode, started_at=timezone.now()
    )
    jobs = [_Job(row, strategy_mode(row, engine_mode)) for row in strategies_in_run_order()]
    if not jobs:
        return _finish(run, RunStatus.SKIPPED, "skipped: no active strategy")
    options = registry_settings(settings.JUTSU_CONFIG_DIR)
    for job in jobs:
        _prepare(job, day)
    frames = _shared_frames([j for j in jobs if j.error is None], day, as_of)
    for job in jobs:
        _run_one(job, run, day, as_of, frames, timeout=float(options["execution_timeout"]))
    return _conclude(run, jobs)


# ── phases ────────────────────────────────────────────────────────────────────────────────────────


def _prepare(job: _Job, day: date) -> None:
    row = job.row
    try:
        account = account_open(strategy_id=row.strategy_id, mode=job.mode, day=day, initial_capital=row.initial_capital)
        if account.last_trading_date and day < account.last_trading_date:
            raise NotTraded(f"refused: {day} is before the last trading day {account.last_trading_date}")
        if day < account.started_on:
            raise NotTraded(f"refused: {day} is before the account's first trading day {account.started_on}")
        request = BacktestRequest(row.strategy_id, account.started_on, day, initial_capital=account.initial_capital)
        _, job.engine, job.config = backtest_check(request)
        job.account = account
    except Exception as exc:  # isolation: this strategy is reported, the others carry on
        job.error = exc


def _shared_frames(jobs: list[_Job], day: date, as_of: datetime) -> dict:
    """One fetch for every symbol of every strategy, today's bar added, stale symbols synced once."""
    if not jobs:
        return {}
    symbols = sorted({s for j in jobs for s in strategy_symbols(j.engine, j.config.baseline_symbol)})
    start = min(j.account.started_on for j in jobs)
    warmup = max(warmup_bars(j.engine) for j in jobs)
    frames = bars_read(symbols, start, day, warmup_bars=warmup)
    required = sorted({s for j in jobs for s in j.engine.required_symbols})
    stale = stale_symbols(frames, required, day)
    if stale:
        _sync(sorted(stale), as_of)
        frames = bars_read(symbols, start, day, warmup_bars=warmup)
    try:
        quotes = quote_source_for(as_of, now=timezone.now()).quotes(symbols, at=as_of)
    except JutsuError as exc:  # no quote source: every strategy reports it below
        logger.warning("no quotes for %s: %s", day, exc)
        quotes = {}
    return frames_with_today(frames, day, quotes)


def _sync(symbols: list[str], as_of: datetime) -> None:
    from trading.marketdata.sync import market_data_sync

    try:
        for result in market_data_sync(symbols=symbols, source="auto", now=as_of, actor="daily_trading"):
            logger.info("freshness sync: %s", result.line())
    except JutsuError as exc:
        logger.warning("freshness sync failed: %s", exc)


def _run_one(job: _Job, run: TradingRun, day: date, as_of: datetime, frames: dict, *, timeout: float) -> None:
    started = time.perf_counter()
    result = StrategyRunResult(trading_run=run, strategy_id=job.row.strategy_id, mode=job.mode)
    try:
        if job.error is not None:
            raise job.error
        planned = orders_of_day(job.row.strategy_id, job.mode, day)
        if planned:  # a re-run: the day's orders were decided before
            report = _resume(job, planned, day, as_of)
            result.status = StrategyRunStatus.RESUMED
        else:
            report = _decide_and_execute(job, run, day, as_of, frames, timeout)
            result.status = StrategyRunStatus.TRADED if report.orders else StrategyRunStatus.HELD
        result.orders_planned = report.orders
        result.orders_filled = report.filled + report.already_final
        _observe(job, day, as_of, frames)
        if report.stopped or report.errors:
            result.status = StrategyRunStatus.FAILED
            result.error = "; ".join([report.stopped, *report.errors]).strip("; ")[:4000]
        else:
            account_mark_traded(job.account, day)
    except DecisionTimeout as exc:
        result.status, result.error = StrategyRunStatus.TIMED_OUT, str(exc)
    except (NotTraded, DataMissing) as exc:
        result.status, result.error = StrategyRunStatus.NOT_TRADED, str(exc)
    except Exception as exc:
        logger.exception("daily trading: %s/%s failed", job.row.strategy_id, job.mode)
        result.status, result.error = StrategyRunStatus.FAILED, f"{type(exc).__name__}: {exc}"[:4000]
    result.duration_seconds = time.perf_counter() - started
    result.save()
    job.result = result
    if not result.ok:
        notify_strategy_not_traded(
            strategy_id=job.row.strategy_id, mode=job.mode, trading_date=day, reason=result.error or result.status
        )


def _decide_and_execute(job: _Job, run, day, as_of, frames, timeout) -> ExecutionReport:
    symbols = strategy_symbols(job.engine, job.config.baseline_symbol)
    stale = stale_symbols(frames, job.engine.required_symbols, day)
    if stale:
        details = ", ".join(f"{s} (last bar {d or 'none'})" for s, d in sorted(stale.items()))
        raise NotTraded(f"stale market data: {details}; expected bars up to {calendar.previous_trading_day(day)}")
    data = bars_window(frames, symbols, job.account.started_on, day, warmup=warmup_bars(job.engine))
    bars_check_required(job.engine, data, job.account.started_on, day)
    no_price = [s for s in job.engine.required_symbols if data[s].index[-1] != day]
    if no_price:
        raise NotTraded(f"no price for {', '.join(no_price)} on {day}")
    account = _account_state(job)
    decision = _with_timeout(lambda: decide(job.engine, data, job.config, account=account), timeout)
    record = regime_state_record(
        strategy_id=job.row.strategy_id,
        mode=job.mode,
        trading_date=day,
        regime=decision.regime,
        context=decision.context,
        rebalance=decision.rebalance,
        decided_at=as_of,
    )
    reason = TradeReason.SIGNAL_CHANGE if record.is_new_signal else TradeReason.REBALANCE
    requests = [
        OrderRequest(o.symbol, Side.BUY if o.side == "buy" else Side.SELL, o.qty, o.ref_price) for o in decision.orders
    ]
    orders = orders_record(
        strategy_id=job.row.strategy_id, mode=job.mode, day=day, requests=requests, reason=reason, trading_run=run
    )
    context = TradeContext.from_regime(decision.regime or decision.context, reason=reason)
    return _execute(job, orders, context, as_of)


def _resume(job: _Job, orders: list, day: date, as_of: datetime) -> ExecutionReport:
    regime = regime_state_latest(job.row.strategy_id, job.mode, before=None)
    cell = regime if regime is not None and regime.trading_date == day else None
    context = TradeContext(
        reason=orders[0].reason,
        strategy_cell=cell.strategy_cell if cell else None,
        trend_state=cell.trend_state if cell else "",
        vol_state=cell.vol_state if cell else "",
        t_norm=cell.t_norm if cell else None,
        z_score=cell.z_score if cell else None,
    )
    return _execute(job, orders, context, as_of)


def _execute(job: _Job, orders: list, context: TradeContext, as_of: datetime) -> ExecutionReport:
    executor = executor_for(job.mode, costs=job.config.costs)
    return orders_execute(orders, executor=executor, context=context, as_of=as_of, guard=engine_running_check)


def _account_state(job: _Job) -> AccountState:
    job.account.refresh_from_db()
    held = positions_held(job.row.strategy_id, job.mode)
    return AccountState(
        cash=job.account.cash,
        positions={s: int(p.quantity) for s, p in held.items()},
        cost_basis={s: p.avg_cost for s, p in held.items()},
    )


def _with_timeout(func: Callable[[], Decision], timeout: float) -> Decision:
    """Run the pure decision in a worker thread; abandon it after ``timeout`` seconds."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="trading-decision", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise DecisionTimeout(f"the decision took longer than {timeout:g} s and was abandoned")
    if "error" in box:
        error = box["error"]
        if isinstance(error, DataError):
            raise DataMissing(str(error)) from error
        raise error
    return box["value"]


def _observe(job: _Job, day: date, as_of: datetime, frames: dict) -> None:
    """Mark the positions at the day's prices and report the equity with the day's regime."""
    job.account.refresh_from_db()
    prices = {s: to_money(float(f["close"].iloc[-1])) for s, f in frames.items() if len(f)}
    positions_mark(strategy_id=job.row.strategy_id, mode=job.mode, prices=prices, at=as_of)
    if job.mode == Mode.DRY_RUN:
        return  # no fills, no equity of its own
    value = account_value(job.account, prices)
    regime = regime_state_latest(job.row.strategy_id, job.mode)
    regime_values = None
    if regime is not None and regime.trading_date == day:
        regime_values = {
            "cell": regime.strategy_cell,
            "trend_state": regime.trend_state,
            "vol_state": regime.vol_state,
            "t_norm": regime.t_norm,
            "z_score": regime.z_score,
            "sma_fast": regime.sma_fast,
            "sma_slow": regime.sma_slow,
        }
    equity.equity_observe(
        equity.EquityObservation(
            strategy_id=job.row.strategy_id,
            mode=job.mode,
            source=equity.TRADING_JOB,
            timestamp=as_of,
            total_equity=value.equity,
            cash=value.cash,
            positions_value=value.positions_value,
            positions=value.positions,
            regime=regime_values,
        )
    )


def _conclude(run: TradingRun, jobs: list[_Job]) -> TradingRun:
    results = [j.result for j in jobs if j.result is not None]
    ok = [r for r in results if r.ok]
    status = RunStatus.COMPLETED if len(ok) == len(results) else (RunStatus.PARTIAL if ok else RunStatus.FAILED)
    parts = [f"{r.strategy_id}/{r.mode}: {r.status}" + (f" ({r.error[:120]})" if r.error else "") for r in results]
    return _finish(run, status, "; ".join(parts))


def _finish(run: TradingRun, status: str, message: str) -> TradingRun:
    run.status = status
    run.message = message[:500]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    return run
