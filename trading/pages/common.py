"""Small display helpers shared by the trading pages."""

from __future__ import annotations

from datetime import datetime

from jutsu.scheduler.calendar import NEW_YORK


def ny_text(value: str | datetime | None) -> str:
    """An instant (aware datetime or ISO text) as New York wall time, ``Mon 2026-11-30 09:45 ET``; ``—`` if none."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(NEW_YORK).strftime("%a %Y-%m-%d %H:%M ET")
