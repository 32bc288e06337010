"""Scheduled jobs of the trading app."""

from __future__ import annotations

import logging

from jutsu.models import JobStatus
from jutsu.scheduler import calendar
from jutsu.scheduler.registry import job
from jutsu.scheduler.runner import JobContext, JobResult
from trading.broker import jobs as broker_jobs  # noqa: F401 (registers the broker's jobs)
from trading.marketdata.sync import SETTLE_MINUTES, market_data_generate_demo, market_data_sync
from trading.models import DataSource
from trading.selectors import market_data_coverage

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
