"""``manage.py finalize_day [--date YYYY-MM-DD]``: finalise one trading date's daily performance now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jutsu.errors import JutsuError
from jutsu.management.options import date_option
from jutsu.scheduler import calendar
from performance.models import EODStatus
from performance.services.eod import eod_finalize_date


class Command(BaseCommand):
    help = "Finalise (or re-finalise, idempotently) the daily performance rows of one trading date."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="trading date YYYY-MM-DD (default: today in New York)")

    def handle(self, *args, day=None, **options):
        when = date_option(day, "date") or calendar.market_date(timezone.now())
        if not calendar.is_trading_day(when):
            self.stdout.write(self.style.WARNING(f"skipped: {when} is not an NYSE trading day"))
            return
        try:
            status = eod_finalize_date(when, trigger="finalize_day")
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        line = (
            f"{when}: {status.status} — strategies {status.strategies_processed}/{status.strategies_total}, "
            f"baselines {status.baselines_processed}/{status.baselines_total}"
        )
        for error in status.errors:
            self.stderr.write(f"  {error['entity_type']}:{error['entity_id']}/{error['mode']}: {error['error']}")
        if status.status == EODStatus.FAILED:
            raise CommandError(line)
        style = self.style.SUCCESS if status.status == EODStatus.COMPLETED else self.style.WARNING
        self.stdout.write(style(line))
