"""Live events of the performance app (payloads built here, published after commit by ``jutsu.events``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from jutsu.events import publish

EOD_REFRESH_TYPE = "eod_finalization"


def notify_eod_finalized(trading_date: date, strategy_ids: list[str]) -> dict[str, Any]:
    """``data_refresh`` with ``refresh_type=eod_finalization``: dashboards reload the day's rows.

    Sent after the surrounding transaction commits (at once outside one).
    """
    return publish(
        "data_refresh",
        {"refresh_type": EOD_REFRESH_TYPE, "strategies": list(strategy_ids), "date": trading_date.isoformat()},
    )
