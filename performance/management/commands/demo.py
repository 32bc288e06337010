"""``manage.py demo``: set up a demo platform on the configured database and serve it.

Every step is idempotent, so ``make demo`` can run again on the same database: migrate, sync the
beat schedules and the strategy registry, load demo data (synthetic bars, backtests, daily
performance — see ``load_demo_data``), create or refresh the demo admin and print its
credentials, then ``serve`` (daphne + embedded worker and beat), which prints them again in its final
"serving on" block, after the start-up of the worker and beat (whose output goes to ``var/log/``).
"""

from __future__ import annotations

import os
import secrets

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError

DEMO_ADMIN = "admin"
STEPS: list[tuple[str, str, list[str]]] = [
    ("database schema", "migrate", ["--noinput"]),
    ("job schedules", "sync_schedules", []),
    ("strategy registry", "sync_strategies", []),
    ("demo data", "load_demo_data", []),
]


class Command(BaseCommand):
    help = "Migrate, load demo data, create the demo admin (credentials printed) and serve on 127.0.0.1:$PORT."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="set up only")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, no_serve: bool, port: int, **options):
        from django.conf import settings

        from accounts.services.users import admin_ensure

        self.stdout.write(f"database: {settings.JUTSU.safe_database_url}")
        for label, command, command_args in STEPS:
            self.stdout.write(f"· {label}")
            call_command(command, *command_args, verbosity=0 if command == "migrate" else 1, stdout=self.stdout)
        password = os.environ.get("JUTSU_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        try:
            admin_ensure(username=DEMO_ADMIN, password=password, email="admin@example.com", reset_password=True)
        except JutsuError as exc:
            raise CommandError(f"demo admin: {exc}") from None
        sign_in = f"Log in with   username: {DEMO_ADMIN}   password: {password}"
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                f"  Jutsu Labs demo: http://localhost:{port}/  (or 127.0.0.1; passkeys need localhost)\n"
                f"  {sign_in}\n"
                f"  Django admin: http://localhost:{port}/admin/\n"
            )
        )
        self.stdout.flush()
        if not no_serve:
            # the worker/beat start-up would push the lines above off the screen: serve repeats them at the end
            call_command(
                "serve", port=port, banner=[sign_in, "(use localhost rather than 127.0.0.1: passkeys need it)"]
            )
