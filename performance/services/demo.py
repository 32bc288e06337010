"""Demo history for a fresh installation (``manage.py load_demo_data``): for each active strategy, a backtest
over the whole stored history after its warm-up (reused when that range already ran). The paper-trading
history — trades, positions, regime states, snapshots and daily performance — comes from replaying the last
months through the real jobs (``performance.services.demo_replay``), not from the backtest: one paper history.
Idempotent: a second run changes nothing unless new bars arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from strategies.models import BacktestRun, Strategy
from strategies.ranges import strategy_run_range
from strategies.selectors import backtest_run_completed
from strategies.services.backtests import BacktestRequest, backtest_run_execute


@dataclass
class DemoHistory:
    """What ``demo_history_load`` did for one strategy."""

    strategy_id: str
    run: BacktestRun
    run_created: bool

    def lines(self) -> list[str]:
        state = "" if self.run_created else " (already there)"
        return [f"{self.strategy_id}: backtest #{self.run.pk} {self.run.start_date} … {self.run.end_date}{state}"]


def demo_backtest_range(strategy: Strategy) -> tuple[date, date]:
    """First tradable date (after warm-up) and last date that every required symbol of ``strategy`` covers."""
    return strategy_run_range(strategy)


def demo_history_load(strategy: Strategy) -> DemoHistory:
    """Backtest ``strategy`` over its demo range (or reuse that run)."""
    start, end = demo_backtest_range(strategy)
    run = backtest_run_completed(strategy_id=strategy.strategy_id, start=start, end=end)
    created = run is None
    if run is None:
        run = backtest_run_execute(BacktestRequest(strategy.strategy_id, start, end))
    return DemoHistory(strategy.strategy_id, run, created)


def demo_remove() -> dict[str, int]:
    """Delete the demo before real data is imported: synthetic bars and everything computed here.

    Backtest runs, daily performance, EOD status and snapshots go too, and so does the simulated trading
    ledger (trades, orders, positions, accounts, regime states, trading runs of every mode but
    ``online_live``), so a real history never continues a synthetic one; the engine is stopped. Refused
    (``ConflictError``) when live-trading history exists — that is not a demo database. Returns what was
    deleted, by kind.
    """
    from django.db import transaction

    from jutsu.errors import ConflictError
    from performance.models import DailyPerformance, EODJobStatus, PerformanceSnapshot
    from performance.services.data_version import data_version_bump
    from trading.marketdata.sync import DEMO_SYMBOLS, market_data_remove_synthetic
    from trading.models import LiveTrade, Order, Position, RegimeState, TradingAccount, TradingRun
    from trading.modes import Mode
    from trading.services.engine import engine_stop

    live = Mode.ONLINE_LIVE
    if DailyPerformance.objects.filter(mode=live).exists() or LiveTrade.objects.filter(mode=live).exists():
        raise ConflictError("live-trading history exists: this is not a demo database, nothing removed")
    with transaction.atomic():
        counts = {
            "backtest runs": BacktestRun.objects.all().delete()[0],
            "daily performance rows": DailyPerformance.objects.all().delete()[0],
            "EOD status rows": EODJobStatus.objects.all().delete()[0],
            "snapshots": PerformanceSnapshot.objects.all().delete()[0],
            "trades": LiveTrade.objects.all().delete()[0],
            "orders": Order.objects.all().delete()[0],
            "positions": Position.objects.all().delete()[0],
            "trading accounts": TradingAccount.objects.all().delete()[0],
            "regime states": RegimeState.objects.all().delete()[0],
            "trading runs": TradingRun.objects.all().delete()[0],
        }
        data_version_bump()
        engine_stop(actor="load_demo_data --remove")
        removed = market_data_remove_synthetic(symbols=DEMO_SYMBOLS, actor="load_demo_data --remove")
    counts["synthetic bars"] = sum(removed.values())
    return counts
