"""``manage.py wait_for_db``: block until the database answers (exponential backoff)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError

from jutsu.startup import wait_for_database


class Command(BaseCommand):
    help = "Wait for the database with exponential backoff (2, 4, 8 … s)."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds")

    def handle(self, *args, timeout, **options):
        try:
            failures = wait_for_database(max_wait_seconds=timeout)
        except OperationalError as exc:
            raise CommandError(f"database still unreachable after {timeout:.0f}s: {exc}") from None
        self.stdout.write(f"database ready ({failures} failed attempts)")
