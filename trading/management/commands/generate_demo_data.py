"""``manage.py generate_demo_data [--start D] [--end D] [--seed N] [--symbols QQQ,TQQQ,…] [--remove]``.

Stores deterministic synthetic daily bars (labelled ``synthetic``, not real prices) for the demo
symbols. Idempotent: running it again stores nothing new, or only the sessions after the last one.
``--remove`` deletes the synthetic bars of those symbols instead (so real data can be imported).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from jutsu.management.options import date_option
from trading.marketdata.sync import DEMO_SYMBOLS, market_data_generate_demo, market_data_remove_synthetic
from trading.sources.synthetic_source import DEFAULT_ANCHOR, DEFAULT_SEED

ACTOR = "command:generate_demo_data"


class Command(BaseCommand):
    help = "Store synthetic (generated, not real) daily bars for QQQ, TQQQ, PSQ, SQQQ, TLT, TMF, TMV."

    def add_arguments(self, parser):
        parser.add_argument("--start", help=f"first date YYYY-MM-DD (default {DEFAULT_ANCHOR})")
        parser.add_argument("--end", help="last date YYYY-MM-DD (default: the last completed session)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--symbols", default=",".join(DEMO_SYMBOLS), help="comma-separated symbols")
        parser.add_argument("--remove", action="store_true", help="delete the synthetic bars of --symbols instead")

    def handle(self, *args, start, end, seed, symbols, remove, **options):
        wanted = [symbol.strip() for symbol in symbols.split(",") if symbol.strip()]
        if not wanted:
            raise CommandError("--symbols is empty")
        if remove:
            self._remove(wanted)
            return
        try:
            results = market_data_generate_demo(
                symbols=wanted,
                start=date_option(start, "start"),
                end=date_option(end, "end"),
                seed=seed,
                actor=ACTOR,
            )
        except JutsuError as exc:
            raise CommandError(str(exc))
        inserted = 0
        for result in results:
            self.stdout.write(result.line())
            inserted += result.summary.inserted if result.summary else 0
        skipped = sum(1 for result in results if result.skipped)
        self.stdout.write(
            f"Synthetic demo data (seed {seed}): {inserted} bars inserted for {len(results) - skipped} symbol(s)"
            + (f", {skipped} skipped" if skipped else "")
        )

    def _remove(self, symbols: list[str]) -> None:
        try:
            removed = market_data_remove_synthetic(symbols=symbols, actor=ACTOR)
        except JutsuError as exc:
            raise CommandError(str(exc))
        for symbol, count in removed.items():
            self.stdout.write(f"{symbol}: {count} synthetic bars removed")
        self.stdout.write(f"Removed {sum(removed.values())} synthetic bars for {len(removed)} symbol(s)")
