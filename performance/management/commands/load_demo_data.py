"""``manage.py load_demo_data``: give a fresh installation something to look at.

1. market data: synthetic bars (``generate_demo_data``) unless the database already holds QQQ bars
   (imported real data is never mixed with synthetic data);
2. a backtest of every active strategy over the whole available history (after warm-up), reused
   when the same range was already run;
3. daily performance seeded from each backtest (mode ``paper``), so the dashboard has history
   from day one.

Idempotent: running it again changes nothing unless new bars arrived.

``--remove`` undoes it before real data is imported: it deletes the synthetic bars and everything
computed in this database (backtest runs, daily performance, EOD status, snapshots), so real
history never continues a synthetic one. It refuses when live-trading history exists.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from performance.services.demo import demo_history_load, demo_remove
from strategies.selectors import strategies_list
from trading.modes import Mode
from trading.selectors import market_data_coverage


class Command(BaseCommand):
    help = "Load demo data: synthetic bars (if none), a backtest per active strategy, seeded daily performance."

    def add_arguments(self, parser):
        parser.add_argument("--mode", default=Mode.PAPER, choices=Mode.values)
        parser.add_argument(
            "--remove", action="store_true", help="delete the demo: synthetic bars and everything computed from them"
        )

    def handle(self, *args, mode: str, remove: bool, **options):
        if remove:
            self._remove()
            return
        self._market_data()
        for strategy in strategies_list(active_only=True).order_by("execution_order"):
            try:
                history = demo_history_load(strategy, mode=mode)
            except JutsuError as exc:
                self.stdout.write(self.style.WARNING(f"  {strategy.strategy_id}: skipped — {exc}"))
                continue
            for line in history.lines():
                self.stdout.write(f"  {line}")

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
