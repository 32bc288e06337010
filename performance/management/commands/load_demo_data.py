"""``manage.py load_demo_data``: give a fresh installation something to look at.

1. market data: synthetic bars (``generate_demo_data``) unless the database already holds QQQ bars
   (imported real data is never mixed with synthetic data);
2. a backtest of every active strategy over the whole available history (after warm-up), reused
   when the same range was already run;
3. paper trading "has been running": the last ~6 months of sessions replayed through the real jobs
   (daily trading, market-close refresh, EOD finalisation, post-close validation), leaving the engine
   running in ``paper`` — see ``performance.services.demo_replay``.

Idempotent: running it again changes nothing unless new bars arrived.

``--remove`` undoes it before real data is imported: it deletes the synthetic bars and everything
computed in this database (backtest runs, daily performance, EOD status, snapshots), so real
history never continues a synthetic one. It refuses when live-trading history exists.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from performance.services.demo import demo_history_load, demo_remove
from performance.services.demo_replay import DEMO_REPLAY_SESSIONS, demo_paper_replay
from strategies.selectors import strategies_list
from trading.selectors import market_data_coverage


class Command(BaseCommand):
    help = "Load demo data: synthetic bars (if none), a backtest per active strategy, months of paper trading."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sessions", type=int, default=DEMO_REPLAY_SESSIONS, help="sessions of paper trading to replay"
        )
        parser.add_argument(
            "--remove", action="store_true", help="delete the demo: synthetic bars and everything computed from them"
        )

    def handle(self, *args, sessions: int, remove: bool, **options):
        if remove:
            self._remove()
            return
        self._market_data()
        for strategy in strategies_list(active_only=True).order_by("execution_order"):
            try:
                history = demo_history_load(strategy)
            except JutsuError as exc:
                self.stdout.write(self.style.WARNING(f"  {strategy.strategy_id}: skipped — {exc}"))
                continue
            for line in history.lines():
                self.stdout.write(f"  {line}")
        try:
            with _quiet(options["verbosity"] < 2):  # one progress line a month instead of every job's log
                summary = demo_paper_replay(sessions=sessions, progress=self._progress)
        except JutsuError as exc:
            self.stdout.write(self.style.WARNING(f"  paper trading: skipped — {exc}"))
            return
        self.stdout.write(f"  {summary.line()}")

    def _progress(self, day, index: int, total: int) -> None:
        if index == 1 or index == total or index % 21 == 0:
            self.stdout.write(f"  paper trading {day} ({index}/{total})")

    def _remove(self) -> None:
        try:
            counts = demo_remove()
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("demo removed: " + ", ".join(f"{n} {label}" for label, n in counts.items()))

    def _market_data(self) -> None:
        coverage = market_data_coverage("QQQ")
        if coverage.has_data:
            self.stdout.write(
                f"  market data present (QQQ {coverage.first_date} … {coverage.last_date}, source "
                f"{coverage.last_source or 'unknown'}): no synthetic bars generated"
            )
            return
        self.stdout.write("  generating synthetic demo bars (labelled 'synthetic', not real prices)")
        call_command("generate_demo_data", stdout=self.stdout)


@contextmanager
def _quiet(enabled: bool):
    """Log only warnings from the jobs while replaying (their INFO lines would be thousands)."""
    names = ("jutsu", "trading", "performance", "strategies")
    levels = {name: logging.getLogger(name).level for name in names}
    if enabled:
        for name in names:
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
