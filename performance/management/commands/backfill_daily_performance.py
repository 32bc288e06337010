"""``manage.py backfill_daily_performance [--strategy ID …] [--mode M] [--start --end] [--from-backtest RUN_ID]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from jutsu.management.options import date_option
from jutsu.management.progress import ProgressBar
from performance.services.backfill import daily_performance_backfill, daily_performance_seed_from_backtest
from trading.modes import Mode


class Command(BaseCommand):
    help = (
        "Rebuild daily performance rows (strategies and their baselines) over a date range from snapshots, "
        "closed trades and market data, or seed a strategy's history from a backtest run (--from-backtest)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--strategy", action="append", dest="strategies", metavar="ID", help="repeatable")
        parser.add_argument("--mode", choices=Mode.values, help="default: every mode with data (paper for a backtest)")
        parser.add_argument("--start", help="first trading date, YYYY-MM-DD (default: first snapshot or row)")
        parser.add_argument("--end", help="last trading date, YYYY-MM-DD (default: last closed session)")
        parser.add_argument("--from-backtest", dest="run_id", type=int, metavar="RUN_ID")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, strategies=None, mode=None, start=None, end=None, run_id=None, **options):
        bar = ProgressBar(self.stderr._out, enabled=not options["no_progress"])
        try:
            if run_id is not None:
                if start or end:
                    raise CommandError("--from-backtest takes the run's own dates; drop --start/--end")
                if strategies and len(strategies) > 1:
                    raise CommandError("--from-backtest seeds one strategy; give at most one --strategy")
                summary = daily_performance_seed_from_backtest(
                    run_id=run_id,
                    mode=mode or Mode.PAPER,
                    expected_strategy=strategies[0] if strategies else None,
                    progress=bar,
                )
            else:
                summary = daily_performance_backfill(
                    strategy_ids=strategies,
                    mode=mode,
                    start=date_option(start, "start"),
                    end=date_option(end, "end"),
                    progress=bar,
                )
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        for error in summary.errors[:20]:
            self.stderr.write(self.style.WARNING(error))
        style = self.style.WARNING if summary.errors else self.style.SUCCESS
        self.stdout.write(style(f"backfill: {summary.total_rows} rows — {summary.line()}"))
        if summary.errors:
            raise CommandError(f"{len(summary.errors)} day(s) could not be computed (listed above)")
