"""``manage.py demo``: set up a demo platform on the configured database and serve it.

Steps (each idempotent, so ``make demo`` can be run again): migrate, sync the beat schedules,
load demo data, create or refresh the demo admin and print its credentials, then ``serve``.
Later capabilities add their steps to ``DEMO_STEPS``.
"""

from __future__ import annotations

import os
import secrets

from django.core.management import call_command
from django.core.management.base import BaseCommand

# (label, command, args): run in order; a command that is not installed yet is skipped.
DEMO_STEPS: list[tuple[str, str, list[str]]] = [
    ("database schema", "migrate", ["--noinput"]),
    ("job schedules", "sync_schedules", []),
]

DEMO_ADMIN = "admin"


class Command(BaseCommand):
    help = "Migrate, load demo data, create the demo admin (credentials printed) and serve on 127.0.0.1:$PORT."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="set up only")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, no_serve: bool, port: int, **options):
        from django.conf import settings

        self.stdout.write(f"database: {settings.JUTSU.safe_database_url}")
        for label, command, command_args in DEMO_STEPS:
            self.stdout.write(f"· {label} …")
            call_command(command, *command_args, verbosity=0, stdout=self.stdout, stderr=self.stderr)
        password = os.environ.get("JUTSU_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        self._ensure_admin(password)
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                f"  Jutsu Labs demo is starting on http://127.0.0.1:{port}/\n"
                f"  Log in as   username: {DEMO_ADMIN}   password: {password}\n"
                f"  Admin site: http://127.0.0.1:{port}/admin/\n"
            )
        )
        self.stdout.flush()
        if not no_serve:
            call_command("serve", port=port)

    def _ensure_admin(self, password: str) -> None:
        from django.contrib.auth import get_user_model

        from accounts.roles import Role

        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=DEMO_ADMIN, defaults={"email": "admin@example.com", "role": Role.ADMIN}
        )
        user.role = Role.ADMIN
        user.is_staff = user.is_superuser = user.is_active = True
        user.failed_login_count = 0
        user.locked_until = None
        user.set_password(password)
        user.save()
