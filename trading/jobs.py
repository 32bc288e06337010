"""Scheduled jobs of the trading app."""

from __future__ import annotations

import logging
from datetime import timedelta

from jutsu.models import JobStatus, JobTrigger
from jutsu.scheduler import calendar
from jutsu.scheduler.registry import job
from jutsu.scheduler.runner import JobContext, JobResult
from trading.broker import jobs as broker_jobs  # noqa: F401 (registers the broker's jobs)
from trading.marketdata.sync import SETTLE_MINUTES, market_data_generate_demo, market_data_sync
from trading.models import DataSource
from trading.runner.schedule import daily_trading_schedule, scheduled_run_mismatch
from trading.selectors import market_data_coverage
from trading.services.refresh import RefreshSummary, equity_refresh

logger = logging.getLogger(__name__)


def symbols_in_use() -> list[str]:
    """Every symbol an active strategy trades or watches, plus their baselines."""
    from strategies.engine.strategy import get_strategy_class
    from strategies.selectors import strategies_list
    from strategies.services.registry import strategy_effective_params

    symbols: set[str] = set()
    for strategy in strategies_list(active_only=True):
        engine = get_strategy_class(strategy.strategy_class)(strategy_effective_params(strategy))
        symbols.update(engine.symbols)
        symbols.add(strategy.baseline_symbol)
    return sorted(symbols)


@job(
    "market_data_sync",
    description="After the close: fetch the day's bars of every symbol in use (before the EOD finalisation)",
    # 16:07 on regular days, 13:07 on early-close days (the job skips while the session is open).
    schedule=[{"minute": "7", "hour": "13,16", "day_of_week": "mon-fri"}],
    queue="housekeeping",
)
def market_data_sync_job(ctx: JobContext) -> JobResult:
    """Sync real series from the primary source (fallback on failure); extend synthetic demo series."""
    session = calendar.session(ctx.today)
    settled = session.close.timestamp() + SETTLE_MINUTES * 60
    if ctx.as_of.timestamp() < settled:
        return JobResult(
            status=JobStatus.SKIPPED,
            message=f"skipped: the {ctx.today} session closes at {session.close:%H:%M} New York time",
        )
    symbols = symbols_in_use()
    if not symbols:
        return JobResult(status=JobStatus.SKIPPED, message="skipped: no active strategy")
    synthetic = [s for s in symbols if market_data_coverage(s).last_source == DataSource.SYNTHETIC]
    real = [s for s in symbols if s not in synthetic]
    lines: list[str] = []
    failed: list[str] = []
    if synthetic:
        for result in market_data_generate_demo(symbols=synthetic, end=ctx.today, now=ctx.as_of, actor="job"):
            lines.append(result.line())
    if real:
        for result in market_data_sync(symbols=real, source="auto", now=ctx.as_of, actor="job"):
            lines.append(result.line())
            if not result.ok:
                failed.append(f"{result.symbol}: {result.error}")
    ok = len(symbols) - len(failed)
    status = JobStatus.SUCCESS if not failed else (JobStatus.PARTIAL if ok else JobStatus.FAILED)
    return JobResult(
        status=status,
        message=f"{ok} of {len(symbols)} symbol(s) synced" + (f"; failed: {', '.join(failed)}" if failed else ""),
        detail={"lines": lines, "failed": failed},
        error="; ".join(failed),
    )


# ── equity refreshes (never regime: ADR-04) ────────────────────────────────────────────────────────

#: A scheduled market-close refresh runs within this long after its session's close; later it is the other
#: entry of the day (16:05 on a half-day whose 13:05 run did the work).
CLOSE_REFRESH_WINDOW = timedelta(hours=1)


def _refresh_result(summary: RefreshSummary) -> JobResult:
    if not summary.accounts and not summary.failed:
        return JobResult(status=JobStatus.SKIPPED, message="skipped: no trading account to refresh yet")
    status = JobStatus.SUCCESS if not summary.failed else (JobStatus.PARTIAL if summary.accounts else JobStatus.FAILED)
    return JobResult(
        status=status,
        message=summary.line()[:500],
        detail={"accounts": summary.accounts, "marked": summary.marked, "stale": summary.stale},
        error="; ".join(summary.failed),
    )


@job(
    "hourly_refresh",
    description="During the session: quotes, mark positions to market, a snapshot per account (never regime)",
    # 10:00 … 15:00 on the hour and a last one at 15:30 (New York); runs after an early close skip.
    schedule=[
        {"minute": "0", "hour": "10-15", "day_of_week": "mon-fri"},
        {"minute": "30", "hour": "15", "day_of_week": "mon-fri"},
    ],
    queue="live",
)
def hourly_refresh_job(ctx: JobContext) -> JobResult:
    session = calendar.session(ctx.today)
    if not (session.open <= ctx.market_now < session.close):
        hours = f"{session.open:%H:%M}–{session.close:%H:%M}"
        return JobResult(
            status=JobStatus.SKIPPED, message=f"skipped: the {ctx.today} session is open {hours} New York time"
        )
    return _refresh_result(equity_refresh(as_of=ctx.as_of, refresh_type="hourly"))


@job(
    "market_close_refresh",
    description="After the close (16:05, 13:05 on half-days): closing quotes, marks, a closing snapshot per account",
    schedule=[{"minute": "5", "hour": "13,16", "day_of_week": "mon-fri"}],
    queue="live",
)
def market_close_refresh_job(ctx: JobContext) -> JobResult:
    session = calendar.session(ctx.today)
    late = ctx.trigger == JobTrigger.SCHEDULE and ctx.market_now >= session.close + CLOSE_REFRESH_WINDOW
    if ctx.market_now < session.close or late:
        return JobResult(
            status=JobStatus.SKIPPED,
            message=f"skipped: the {ctx.today} session closes at {session.close:%H:%M} New York time",
        )
    return _refresh_result(equity_refresh(as_of=ctx.as_of, refresh_type="market_close"))


@job(
    "daily_trading",
    description="Trade every active strategy at the execution time (trading.execution_time; earlier on half-days)",
    schedule=daily_trading_schedule,
    queue="live",
)
def daily_trading_job(ctx: JobContext) -> JobResult:
    """Run the day's trading (``trading.runner.runner``) while the engine is running; skip otherwise."""
    from trading.models import RunStatus
    from trading.runner.runner import trading_day_run
    from trading.services.engine import engine_record_execution, engine_running_check, engine_state_get

    if ctx.trigger == JobTrigger.SCHEDULE:
        mismatch = scheduled_run_mismatch(ctx.as_of)
        if mismatch:
            return JobResult(status=JobStatus.SKIPPED, message=f"skipped: {mismatch}")
    not_running = engine_running_check()
    if not_running:
        return JobResult(status=JobStatus.SKIPPED, message=f"skipped: {not_running} (manage.py engine start|restart)")
    engine = engine_state_get()
    run = trading_day_run(as_of=ctx.as_of, job_run=ctx.run)
    # A failed scheduled run stops automatic trading (engine → error) until an operator restarts it; a
    # manual run (run_job, the API: an operator is watching) is reported without flipping the engine.
    # Either way the job framework's failure hook notifies (trading.notify.notify_job_run_failed).
    automatic = ctx.trigger == JobTrigger.SCHEDULE
    engine_record_execution(at=ctx.as_of, failed=automatic and run.status == RunStatus.FAILED, error=run.message)
    status = {
        RunStatus.COMPLETED: JobStatus.SUCCESS,
        RunStatus.PARTIAL: JobStatus.PARTIAL,
        RunStatus.FAILED: JobStatus.FAILED,
        RunStatus.SKIPPED: JobStatus.SKIPPED,
    }[run.status]
    errors = [f"{r.strategy_id}/{r.mode}: {r.error}" for r in run.results.all() if r.error]
    return JobResult(
        status=status,
        message=f"{engine.mode}: {run.message}"[:500],
        detail={"trading_run": run.pk, "results": [_result_detail(r) for r in run.results.all()]},
        error="\n".join(errors)[:4000],
    )


def _result_detail(result) -> dict:
    return {
        "strategy_id": result.strategy_id,
        "mode": result.mode,
        "status": result.status,
        "orders_planned": result.orders_planned,
        "orders_filled": result.orders_filled,
        "error": result.error,
    }


# ── post-close validation ─────────────────────────────────────────────────────────────────────────

#: After the close and the data sync (close + 7 min): 16:20, 13:20 on early-close days.
VALIDATION_AFTER_CLOSE = timedelta(minutes=20)


@job(
    "post_close_validation",
    description="After the close and the data sync (16:20, 13:20 on half-days): grade today's decisions on the "
    "final bars — GREEN same targets, YELLOW same cell, RED different cell (notified)",
    schedule=[{"minute": "20", "hour": "13,16", "day_of_week": "mon-fri"}],
    queue="live",
)
def post_close_validation_job(ctx: JobContext) -> JobResult:
    from trading.services.validation import regime_states_validate

    session = calendar.session(ctx.today)
    due = session.close + VALIDATION_AFTER_CLOSE
    late = ctx.trigger == JobTrigger.SCHEDULE and ctx.market_now >= due + CLOSE_REFRESH_WINDOW
    if ctx.market_now < session.close + timedelta(minutes=SETTLE_MINUTES) or late:
        return JobResult(
            status=JobStatus.SKIPPED,
            message=f"skipped: the {ctx.today} session is validated at {due:%H:%M} New York time",
        )
    summary = regime_states_validate(day=ctx.today, at=ctx.as_of)
    if not summary.graded and not summary.failed:
        return JobResult(status=JobStatus.SKIPPED, message=f"skipped: no decision recorded on {ctx.today}")
    status = JobStatus.SUCCESS if not summary.failed else (JobStatus.PARTIAL if summary.graded else JobStatus.FAILED)
    return JobResult(
        status=status, message=summary.line()[:500], detail={"grades": summary.graded}, error="; ".join(summary.failed)
    )
