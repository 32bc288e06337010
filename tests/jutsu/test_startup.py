"""Start-up waits for the database with exponential backoff instead of dying (ADR-06)."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections

from jutsu.startup import wait_for_database


class FlakyConnection:
    """Stands in for ``connections['default']``: fails ``failures`` times, then connects."""

    def __init__(self, real, failures: int) -> None:
        self.real, self.failures, self.attempts = real, failures, 0

    def ensure_connection(self):
        self.attempts += 1
        if self.attempts <= self.failures:
            raise OperationalError("could not connect to server: Connection refused")
        self.real.ensure_connection()

    def cursor(self):
        return self.real.cursor()

    def close(self):
        pass


@pytest.mark.django_db
def test_waits_with_doubling_delays_until_the_database_answers(monkeypatch):
    flaky = FlakyConnection(connections["default"], failures=5)
    monkeypatch.setattr("jutsu.startup.connections", {"default": flaky})
    delays: list[float] = []
    failures = wait_for_database(sleep=delays.append)
    assert failures == 5
    assert delays == [2, 4, 8, 16, 32]


@pytest.mark.django_db
def test_gives_up_after_the_maximum_wait_with_the_last_error(monkeypatch):
    flaky = FlakyConnection(connections["default"], failures=100)
    monkeypatch.setattr("jutsu.startup.connections", {"default": flaky})
    delays: list[float] = []
    with pytest.raises(OperationalError):
        wait_for_database(max_wait_seconds=100, sleep=delays.append)
    assert sum(delays) >= 100 and max(delays) <= 60
