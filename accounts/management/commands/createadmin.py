"""``manage.py createadmin --username NAME [--email E] [--reset-password]``.

The password comes from ``JUTSU_ADMIN_PASSWORD``; only when that is unset and the command runs
in a terminal does it prompt (twice). Running it again for an existing admin changes nothing
(exit 0) unless ``--reset-password`` is given, which also clears a lockout.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.services.users import admin_ensure
from jutsu.errors import JutsuError

ENV_VAR = "JUTSU_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = f"Create a platform admin (password from ${ENV_VAR}, or a prompt when interactive)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default=None)
        parser.add_argument(
            "--reset-password", action="store_true", help="set a new password for an existing admin and unlock it"
        )

    def handle(self, *args, username: str, email: str | None, reset_password: bool, **options):
        password = os.environ.get(ENV_VAR) or None
        needs_password = reset_password or not self._admin_exists(username)
        if password is None and needs_password:
            password = self._prompt()
        try:
            user, action = admin_ensure(
                username=username, password=password, email=email, reset_password=reset_password
            )
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        messages = {
            "created": f"admin {user.username!r} created",
            "exists": f"admin {user.username!r} already exists (password unchanged; use --reset-password)",
            "password_reset": f"admin {user.username!r}: password reset and account unlocked",
        }
        self.stdout.write(self.style.SUCCESS(messages[action]))

    @staticmethod
    def _admin_exists(username: str) -> bool:
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(username=username).exists()

    def _prompt(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(f"set {ENV_VAR} (no terminal to prompt for the password)")
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("the passwords differ")
        if not first:
            raise CommandError("empty password")
        return first
