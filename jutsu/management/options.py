"""Option parsing shared by every app's management commands (a bad value is a ``CommandError`` naming it)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError


def date_option(text: str | None, option: str) -> date | None:
    """``--<option>`` as a date (``YYYY-MM-DD``); ``None`` when the option was not given."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{option}: invalid date {text!r}: use YYYY-MM-DD (not a date)") from None
