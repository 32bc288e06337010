"""``manage.py import_market_data FILE… [--symbol SYM] [--source csv] [--timeframe 1D]``.

Imports CSV files (Yahoo or generic layout, detected from the header). Rejected rows are reported,
not fatal: the command exits 0 when every file was processed, non-zero on usage errors and on files
that are missing, unreadable or not a recognised CSV layout.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from trading.marketdata.importing import market_data_import_file
from trading.models import DataSource, Timeframe

SHOWN_PER_KIND = 50
ACTOR = "command:import_market_data"


class Command(BaseCommand):
    help = "Import daily (or intraday) bars from CSV files; rejected rows are reported, duplicates skipped."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="CSV file(s); the symbol is the file stem")
        parser.add_argument("--symbol", help="symbol for the bars (one file only; default: the file stem)")
        parser.add_argument("--source", default=DataSource.CSV, choices=DataSource.values, help="label the bars with")
        parser.add_argument("--timeframe", default=Timeframe.DAILY, choices=Timeframe.values)

    def handle(self, *args, files: list[str], symbol: str | None, source: str, timeframe: str, **options):
        if symbol and len(files) > 1:
            raise CommandError("--symbol can only be used with a single file (the symbol is otherwise the file stem)")
        paths = [Path(name) for name in files]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"file not found: {', '.join(missing)}")

        totals = dict.fromkeys(("inserted", "skipped_duplicate", "repaired", "rejected", "flagged"), 0)
        failures: list[str] = []
        for path in paths:
            try:
                summary = market_data_import_file(
                    path=path, symbol=symbol, timeframe=timeframe, data_source=source, actor=ACTOR
                )
            except JutsuError as exc:
                failures.append(str(exc))
                self.stderr.write(self.style.ERROR(f"{path}: {exc}" if str(path) not in str(exc) else str(exc)))
                continue
            self._report(summary)
            for key in totals:
                totals[key] += getattr(summary, key)

        done = len(paths) - len(failures)
        self.stdout.write(
            f"Imported {done} of {len(paths)} file(s): {totals['inserted']} inserted, "
            f"{totals['skipped_duplicate']} skipped (duplicate), {totals['repaired']} repaired, "
            f"{totals['rejected']} rejected, {totals['flagged']} flagged"
        )
        if failures:
            raise CommandError(f"{len(failures)} file(s) could not be imported (see above)")

    def _report(self, summary) -> None:
        for kind, messages, style in (
            ("rejected", summary.rejections, self.style.WARNING),
            ("repaired", summary.repairs, self.style.NOTICE),
            ("flagged", summary.flags, self.style.WARNING),
        ):
            for message in messages[:SHOWN_PER_KIND]:
                self.stdout.write(style(f"  {kind}: {message}"))
            if len(messages) > SHOWN_PER_KIND:
                hidden = len(messages) - SHOWN_PER_KIND
                self.stdout.write(style(f"  … {hidden} more {kind} (audit log entry #{summary.audit_id})"))
        self.stdout.write(summary.line())
