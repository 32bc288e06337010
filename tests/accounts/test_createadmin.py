"""``manage.py createadmin``: password from JUTSU_ADMIN_PASSWORD, idempotent, --reset-password."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Admin-Password-2026"


def run(*args) -> str:
    out = io.StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def test_creates_an_admin_with_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("JUTSU_ADMIN_PASSWORD", PASSWORD)
    assert "created" in run("--username", "root", "--email", "root@example.com")
    user = User.objects.get(username="root")
    assert user.role == "admin" and user.is_staff and user.is_superuser and user.email == "root@example.com"
    assert user.check_password(PASSWORD)


def test_running_it_again_changes_nothing(monkeypatch):
    monkeypatch.setenv("JUTSU_ADMIN_PASSWORD", PASSWORD)
    run("--username", "root")
    monkeypatch.setenv("JUTSU_ADMIN_PASSWORD", "Another-Password-99")
    assert "already exists" in run("--username", "root")
    assert User.objects.get(username="root").check_password(PASSWORD)


def test_reset_password_sets_it_and_unlocks(monkeypatch):
    monkeypatch.setenv("JUTSU_ADMIN_PASSWORD", PASSWORD)
    run("--username", "root")
    User.objects.filter(username="root").update(failed_login_count=10, locked_until="2999-01-01T00:00:00Z")
    monkeypatch.setenv("JUTSU_ADMIN_PASSWORD", "Another-Password-99")
    assert "password reset" in run("--username", "root", "--reset-password")
    user = User.objects.get(username="root")
    assert user.check_password("Another-Password-99") and user.locked_until is None


def test_without_a_password_and_no_terminal_it_fails_clearly(monkeypatch):
    monkeypatch.delenv("JUTSU_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(CommandError, match="JUTSU_ADMIN_PASSWORD"):
        run("--username", "root")


def test_prompts_when_interactive_and_unset(monkeypatch):
    monkeypatch.delenv("JUTSU_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    run("--username", "root")
    assert User.objects.get(username="root").check_password(PASSWORD)


def test_a_weak_password_is_refused(monkeypatch):
    monkeypatch.setenv("JUTSU_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError, match="password"):
        run("--username", "root")


def test_an_existing_viewer_is_not_silently_promoted(monkeypatch):
    UserFactory(username="someone")
    monkeypatch.setenv("JUTSU_ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="role viewer"):
        run("--username", "someone")
