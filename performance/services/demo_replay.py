"""The demo's paper-trading history: the platform "has been running" for the last months.

``demo_paper_replay`` replays the last ``DEMO_REPLAY_SESSIONS`` sessions of the stored (synthetic) bars
through the **real jobs**, each as of its scheduled moment (``job_run(name, as_of=…)``):

* ``daily_trading`` at the execution time of that session (``trading.execution_time``; earlier on half-days),
* ``market_close_refresh`` at the close + 5 minutes,
* ``post_close_validation`` at the close + 20 minutes,
* ``eod_finalization`` (or its half-day variant) at the close + 15/… minutes,

so trades, positions, regime states (graded), snapshots and daily performance exist exactly as the scheduler
would have produced them. The engine is started in ``paper`` first (the trading job skips while it is
stopped) and left running; notifications are muted during the replay (months of past trades are not news).

The paper history **is** the replay: ``load_demo_data`` no longer seeds ``paper`` daily performance from the
demo backtests (two paper histories with different start days would contradict each other); the backtests
stay as backtest runs. Idempotent: a second run replays only the sessions after the accounts' last trading
day (nothing, when no new bars arrived). Refused when the engine trades ``online_live``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from jutsu.errors import ConflictError, DataMissing
from jutsu.models import JobStatus, JobTrigger
from jutsu.scheduler import calendar
from jutsu.scheduler.runner import job_run
from strategies.selectors import strategies_list
from trading.modes import Mode
from trading.notify import notifications_muted
from trading.runner.runner import strategy_mode
from trading.runner.schedule import execution_moment
from trading.selectors import account_get, market_data_coverage
from trading.services.engine import engine_start, engine_state_get

logger = logging.getLogger(__name__)

#: About six months of sessions.
DEMO_REPLAY_SESSIONS = 126


@dataclass
class ReplaySummary:
    sessions: list[date] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.sessions:
            return "paper trading already up to date: nothing replayed"
        text = f"paper trading replayed over {len(self.sessions)} session(s), {self.sessions[0]} … {self.sessions[-1]}"
        return text + (f"; {len(self.problems)} problem(s): {'; '.join(self.problems[:3])}" if self.problems else "")


def _replay_window(sessions: int) -> list[date]:
    """The last ``sessions`` sessions every active strategy's required symbols cover, after the accounts'
    last trading day."""
    from strategies.engine.strategy import get_strategy_class
    from strategies.services.registry import strategy_effective_params

    rows = list(strategies_list(active_only=True))
    if not rows:
        raise DataMissing("no active strategy")
    symbols: set[str] = set()
    for row in rows:
        symbols.update(get_strategy_class(row.strategy_class)(strategy_effective_params(row)).required_symbols)
    coverage = [market_data_coverage(symbol) for symbol in sorted(symbols)]
    missing = [c.symbol for c in coverage if not c.has_data]
    if missing:
        raise DataMissing(f"no bars for {', '.join(missing)}")
    end = min(c.last_date for c in coverage)
    first = max(c.first_date for c in coverage)
    days = calendar.trading_days(first, end)[-sessions:] if sessions > 0 else []
    engine_mode = engine_state_get().mode
    done = [account_get(row.strategy_id, strategy_mode(row, engine_mode)) for row in rows]
    if all(a is not None and a.last_trading_date for a in done):
        last = min(a.last_trading_date for a in done)
        days = [d for d in days if d > last]
    return days


def _steps(day: date) -> list[tuple[str, object]]:
    session = calendar.session(day)
    eod = "eod_finalization_halfday" if session.is_early_close else "eod_finalization"
    return [
        ("daily_trading", execution_moment(session)),
        ("market_close_refresh", session.close + timedelta(minutes=5)),
        (eod, session.close + timedelta(minutes=15)),
        ("post_close_validation", session.close + timedelta(minutes=20)),
    ]


def demo_paper_replay(
    *, sessions: int = DEMO_REPLAY_SESSIONS, progress: Callable[[date, int, int], None] | None = None
) -> ReplaySummary:
    """Replay the last ``sessions`` sessions through the jobs in ``paper`` (see the module docstring)."""
    if engine_state_get().mode == Mode.ONLINE_LIVE:
        raise ConflictError("the engine trades online_live: this is not a demo database, nothing replayed")
    engine_start(mode=Mode.PAPER, actor="demo")
    summary = ReplaySummary()
    days = _replay_window(sessions)
    with notifications_muted():
        for index, day in enumerate(days, start=1):
            for name, moment in _steps(day):
                run = job_run(name, as_of=moment.astimezone(UTC), trigger=JobTrigger.MANUAL)
                if run.status in (JobStatus.FAILED, JobStatus.PARTIAL):
                    summary.problems.append(f"{day} {name}: {run.message}")
            summary.sessions.append(day)
            if progress:
                progress(day, index, len(days))
    if engine_state_get().state != "running":  # a failed run put it in error: the demo shows it running
        engine_start(mode=Mode.PAPER, actor="demo")
    return summary
