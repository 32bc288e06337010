"""Start-up resilience (ADR-06): wait for the database with exponential backoff instead of dying."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import OperationalError, connections

logger = logging.getLogger(__name__)


def wait_for_database(
    *,
    alias: str = "default",
    max_wait_seconds: float = 300,
    first_delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Block until ``SELECT 1`` succeeds; delays 2, 4, 8, 16, 32 … s (capped at 60 s).

    Returns the number of failed attempts. Raises the last error after ``max_wait_seconds``.
    """
    from django.conf import settings

    delay, waited, failures = first_delay, 0.0, 0
    while True:
        try:
            connection = connections[alias]
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if failures:
                logger.info("database reachable after %d failed attempts", failures)
            return failures
        except OperationalError as exc:
            failures += 1
            connections[alias].close()
            if waited >= max_wait_seconds:
                raise
            logger.warning(
                "database %s not reachable (%s); retrying in %.0fs",
                settings.JUTSU.safe_database_url,
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                delay,
            )
            sleep(delay)
            waited += delay
            delay = min(delay * 2, 60.0)
