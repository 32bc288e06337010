"""Shared fixtures: three kinds of caller (anonymous, viewer, admin) for pages and the API."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, AdminFactory, UserFactory


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def viewer_user(db):
    return UserFactory(username="viewer")


@pytest.fixture
def admin_user(db):
    """Overrides pytest-django's fixture: a platform admin (role admin, staff, superuser)."""
    return AdminFactory(username="admin")


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()


@pytest.fixture
def viewer_api(viewer_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(viewer_user)
    return client


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def viewer_client(viewer_user) -> Client:
    client = Client()
    client.force_login(viewer_user)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:
    """Overrides pytest-django's fixture: a browser session logged in as a platform admin."""
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def schwab_credentials(monkeypatch):
    """The Schwab app key and secret, as the environment gives them."""
    for name in ("SCHWAB_API_KEY_FILE", "SCHWAB_APP_SECRET_FILE", "SCHWAB_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCHWAB_API_KEY", "app-key-123")
    monkeypatch.setenv("SCHWAB_APP_SECRET", "app-secret-456")
    return "app-key-123", "app-secret-456"


# --- no credential in any log line, across the whole suite --------------------------------------------

_SUITE_LOG: list[str] = []
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


class _SuiteLogCapture(logging.Handler):
    """Every log line the suite produces, formatted with the production filters (what an operator reads)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        from accounts.logging import MaskAuthPathsFilter
        from jutsu.logging import MaskSecretsFilter, TextFormatter

        self.addFilter(MaskSecretsFilter())
        self.addFilter(MaskAuthPathsFilter())
        self.setFormatter(TextFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _SUITE_LOG.append(self.format(record))
        except Exception:  # a broken record must not break the suite; it is not a leak either
            pass


def pytest_configure(config):
    logging.getLogger().addHandler(_SuiteLogCapture())


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if a test password or a JWT reached any log line."""
    secrets = (TEST_PASSWORD,)
    leaks = [line for line in _SUITE_LOG if any(s in line for s in secrets) or _JWT.search(line)]
    if leaks:
        session.config.get_terminal_writer().line("credentials found in log lines:\n" + "\n".join(leaks[:10]), red=True)
        session.exitstatus = 1
