"""When the daily trading job runs: the execution time on the NYSE session (New York time, half-days).

``trading.execution_time`` (env ``EXECUTION_TIME`` → override → YAML → default ``15min_after_open``) names a
moment of the session: ``open`` 9:30, ``15min_after_open`` 9:45, ``15min_before_close`` 15:45,
``5min_before_close`` 15:55, ``close`` 16:00. Times before the close move with an early close (13:00 on
half-days → 12:45, 12:55, 13:00), so the job has a second crontab entry for half-days; each run checks that
its entry matches the day's session and skips otherwise (as ``market_data_sync`` does for 13:07/16:07).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jutsu.conf.resolver import resolve_value
from jutsu.scheduler import calendar

#: offset from the session's open (positive) or close (negative or zero)
OFFSETS = {
    "open": ("open", timedelta(0)),
    "15min_after_open": ("open", timedelta(minutes=15)),
    "15min_before_close": ("close", timedelta(minutes=-15)),
    "5min_before_close": ("close", timedelta(minutes=-5)),
    "close": ("close", timedelta(0)),
}
REGULAR_OPEN = (9, 30)
REGULAR_CLOSE = (16, 0)
HALF_DAY_CLOSE = (13, 0)
#: a scheduled run this late after its moment still trades (a busy worker); later ones skip
LATE_TOLERANCE = timedelta(minutes=30)
#: a scheduled run may start this early (beat fires on the minute)
EARLY_TOLERANCE = timedelta(minutes=1)


def execution_time() -> str:
    """The effective execution time name."""
    return resolve_value("trading.execution_time")


def execution_moment(session: calendar.Session, name: str | None = None) -> datetime:
    """The aware New York moment of ``name`` (default: the effective execution time) in ``session``."""
    anchor, offset = OFFSETS[name or execution_time()]
    return (session.open if anchor == "open" else session.close) + offset


def _clock(hour_minute: tuple[int, int], offset: timedelta) -> tuple[int, int]:
    minutes = hour_minute[0] * 60 + hour_minute[1] + int(offset.total_seconds() // 60)
    return divmod(minutes, 60)


def daily_trading_schedule() -> list[dict[str, str]]:
    """Crontab entries (New York) for the effective execution time: the regular-day entry, plus the half-day
    entry when the time is tied to the close."""
    anchor, offset = OFFSETS[execution_time()]
    if anchor == "open":
        hour, minute = _clock(REGULAR_OPEN, offset)
        return [{"minute": str(minute), "hour": str(hour), "day_of_week": "mon-fri"}]
    regular = _clock(REGULAR_CLOSE, offset)
    half = _clock(HALF_DAY_CLOSE, offset)
    return [
        {"minute": str(regular[1]), "hour": str(regular[0]), "day_of_week": "mon-fri"},
        {"minute": str(half[1]), "hour": str(half[0]), "day_of_week": "mon-fri"},
    ]


def scheduled_run_mismatch(as_of: datetime) -> str | None:
    """Why a scheduled trigger at ``as_of`` is not today's execution moment (the other day-type's crontab
    entry, or far too late), or ``None`` when it is."""
    day = calendar.market_date(as_of)
    session = calendar.session(day)
    if session is None:
        return f"{day.isoformat()} is not an NYSE trading day"
    moment = execution_moment(session)
    if moment - EARLY_TOLERANCE <= as_of <= moment + LATE_TOLERANCE:
        return None
    kind = "an early close" if session.is_early_close else "a regular session"
    return f"{day.isoformat()} is {kind}: trading runs at {moment:%H:%M} New York time ({execution_time()})"


def next_execution_at(after: datetime) -> datetime:
    """The next execution moment strictly after ``after`` (aware)."""
    day = calendar.market_date(after)
    for _ in range(15):
        session = calendar.session(day)
        if session is not None:
            moment = execution_moment(session)
            if moment > after:
                return moment
        day = calendar.next_trading_day(day)
    raise RuntimeError(f"no trading session found after {after.isoformat()}")
