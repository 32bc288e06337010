"""One engine for backtest and live: the paper ledger built by the trading job equals the backtest, to the cent.

Replays 63 consecutive real trading days (2020-03-02 … 2020-05-29, through the COVID crash: several regime
changes and rebalances) through ``job_run("daily_trading", as_of=<close>)`` in ``paper`` mode with
``EXECUTION_TIME=close``, then compares every fill, the cash, the positions and each day's equity with
``run_backtest`` from the first day to the last, for both active strategies.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from jutsu.models import JobTrigger
from jutsu.scheduler import calendar
from jutsu.scheduler.runner import job_run
from performance.models import PerformanceSnapshot
from strategies.bars import strategy_bars
from strategies.engine import run_backtest
from strategies.services.backtests import BacktestRequest, backtest_check
from tests.trading.conftest import close_of
from trading.models import LiveTrade, Position, TradingAccount

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FIRST, LAST = date(2020, 3, 2), date(2020, 5, 29)


def backtest(strategy_id: str):
    _, strategy, config = backtest_check(BacktestRequest(strategy_id, FIRST, LAST))
    return run_backtest(strategy, strategy_bars(strategy, FIRST, LAST, baseline_symbol=config.baseline_symbol), config)


def test_sixty_replayed_days_of_paper_trading_equal_the_backtest_to_the_cent(real_market, engine_paper, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "close")
    days = calendar.trading_days(FIRST, LAST)
    assert len(days) >= 60
    for day in days:
        run = job_run("daily_trading", as_of=close_of(day), trigger=JobTrigger.MANUAL)
        assert run.status == "success", (day, run.message, run.error)

    for strategy_id in ("v3_5b", "v3_5d"):
        result = backtest(strategy_id)
        trades = LiveTrade.objects.filter(strategy_id=strategy_id, mode="paper").order_by("trading_date", "id")
        ledger = [
            (t.trading_date, t.symbol, t.action.lower(), int(t.quantity), t.fill_price, t.commission) for t in trades
        ]
        fills = [(f["date"], f["symbol"], f["side"], f["qty"], f["price"], f["commission"]) for f in result.fills]
        assert len(fills) >= 10, "the window must trade"
        assert ledger == fills

        account = TradingAccount.objects.get(strategy_id=strategy_id, mode="paper")
        last = result.equity_curve[-1]
        assert account.started_on == FIRST and account.last_trading_date == LAST
        assert account.cash == last["cash"]
        held = {p.symbol: int(p.quantity) for p in Position.objects.filter(strategy_id=strategy_id, quantity__gt=0)}
        assert held == {symbol: p["qty"] for symbol, p in last["positions"].items()}

        equity_by_day = defaultdict(list)
        for snap in PerformanceSnapshot.objects.filter(strategy_id=strategy_id, mode="paper").order_by("timestamp"):
            equity_by_day[calendar.market_date(snap.timestamp)].append(snap.total_equity)
        assert {d: v[-1] for d, v in equity_by_day.items()} == {r["date"]: r["equity"] for r in result.equity_curve}
