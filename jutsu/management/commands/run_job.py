"""``manage.py run_job <name> [--as-of ISO-DATETIME]``: run one scheduled job once, now or as of a past moment."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import NotFound
from jutsu.models import JobStatus, JobTrigger
from jutsu.scheduler.registry import all_jobs
from jutsu.scheduler.runner import job_run, parse_as_of


class Command(BaseCommand):
    help = "Run a scheduled job once. --as-of replays a past moment (calendar check, 'today', records)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="job name (omit with --list)")
        parser.add_argument("--as-of", dest="as_of", help="ISO date/datetime; naive values are New York time")
        parser.add_argument("--list", action="store_true", help="list the registered jobs")

    def handle(self, *args, name=None, as_of=None, list=False, **options):
        if list or not name:
            for spec in all_jobs():
                days = "trading days" if spec.trading_days_only else "every day"
                self.stdout.write(f"{spec.name:28} {days:13} {spec.description}")
            if not name:
                return
        try:
            moment = parse_as_of(as_of)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            run = job_run(name, as_of=moment, trigger=JobTrigger.MANUAL)
        except NotFound as exc:
            raise CommandError(str(exc)) from None
        line = f"{run.job_name} #{run.run_number}: {run.status} — {run.message}"
        if run.status == JobStatus.FAILED:
            raise CommandError(line + (f"\n{run.error}" if run.error else ""))
        style = self.style.SUCCESS if run.status == JobStatus.SUCCESS else self.style.WARNING
        self.stdout.write(style(line))
