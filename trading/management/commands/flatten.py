"""``manage.py flatten --strategy ID --mode MODE --confirm YES [--as-of ISO]`` — sell everything to cash."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from jutsu.scheduler.runner import parse_as_of
from trading.modes import Mode
from trading.services.flatten import flatten


class Command(BaseCommand):
    help = "Emergency exit: sell every position of a strategy in a mode through the mode's executor (reason Manual)."

    def add_arguments(self, parser):
        parser.add_argument("--strategy", required=True, help="strategy id, e.g. v3_5b")
        parser.add_argument("--mode", required=True, choices=Mode.values)
        parser.add_argument("--confirm", help="type YES: every position is sold")
        parser.add_argument("--as-of", dest="as_of", help="replay a past moment (ISO; naive = New York time)")

    def handle(self, *args, strategy, mode, confirm=None, as_of=None, **options):
        try:
            moment = parse_as_of(as_of)
            result = flatten(strategy_id=strategy, mode=mode, confirm=confirm, as_of=moment)
        except (JutsuError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if result.report.stopped or result.report.errors:
            raise CommandError(result.line() + "".join(f"\n{e}" for e in result.report.errors))
        self.stdout.write(self.style.SUCCESS(result.line()))
