"""``manage.py sync_market_data [--source auto|yahoo|schwab|synthetic] SYMBOL… [--start D] [--end D] [--timeframe 1D]``.

Fetches new bars from a remote source and stores them with the import rules. Without ``--start``
each symbol continues after its last stored bar. Exits non-zero when a symbol could not be synced
(source unreachable, credentials missing) after syncing the others.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from jutsu.management.options import date_option
from trading.marketdata.sync import AUTO, SYNC_SOURCES, market_data_sync
from trading.models import Timeframe

ACTOR = "command:sync_market_data"


class Command(BaseCommand):
    help = "Fetch new bars from Yahoo or Schwab (auto: primary source with fallback) and store them."

    def add_arguments(self, parser):
        parser.add_argument("symbols", nargs="+", metavar="SYMBOL")
        parser.add_argument(
            "--source",
            default=AUTO,
            choices=SYNC_SOURCES,
            help="auto = data.primary_source, falling back to data.fallback_source (default)",
        )
        parser.add_argument("--timeframe", default=Timeframe.DAILY, choices=Timeframe.values)
        parser.add_argument("--start", help="first date YYYY-MM-DD (default: the day after the last stored bar)")
        parser.add_argument("--end", help="last date YYYY-MM-DD (default: the last completed session)")

    def handle(self, *args, symbols, source, timeframe, start, end, **options):
        try:
            results = market_data_sync(
                symbols=symbols,
                source=source,
                timeframe=timeframe,
                start=date_option(start, "start"),
                end=date_option(end, "end"),
                actor=ACTOR,
            )
        except JutsuError as exc:
            raise CommandError(str(exc))
        for result in results:
            if result.summary:
                for message in result.summary.rejections[:50]:
                    self.stdout.write(self.style.WARNING(f"  rejected: {message}"))
                for message in (*result.summary.repairs[:50], *result.summary.flags[:50]):
                    self.stdout.write(self.style.NOTICE(f"  {message}"))
            write = self.stderr.write if result.error else self.stdout.write
            write(result.line())
        failed = [result.symbol for result in results if not result.ok]
        synced = len(results) - len(failed)
        self.stdout.write(f"Synced {synced} of {len(results)} symbol(s) from {source}")
        if failed:
            raise CommandError(f"could not sync {', '.join(failed)} (see above)")
