"""The NYSE trading calendar (sessions, holidays, early closes) from pandas-market-calendars.

Schedules are computed once per calendar year and cached; every function takes New York dates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
_lock = threading.Lock()


@dataclass(frozen=True)
class Session:
    """One NYSE trading session; times are aware datetimes in New York time."""

    date: date
    open: datetime
    close: datetime

    @property
    def is_early_close(self) -> bool:
        return self.close.hour < 16


@lru_cache(maxsize=1)
def _calendar():
    import pandas_market_calendars as mcal

    return mcal.get_calendar("NYSE")


_years: dict[int, dict[date, Session]] = {}


def _load_years(first: int, last: int) -> None:
    """Compute the sessions of every missing year in ``[first, last]`` with one calendar call."""
    missing = [year for year in range(first, last + 1) if year not in _years]
    if not missing:
        return
    with _lock:
        schedule = _calendar().schedule(start_date=f"{missing[0]}-01-01", end_date=f"{missing[-1]}-12-31")
        loaded: dict[int, dict[date, Session]] = {year: {} for year in range(missing[0], missing[-1] + 1)}
        for day, opens, closes in zip(schedule.index, schedule["market_open"], schedule["market_close"], strict=True):
            d = day.date()
            loaded[d.year][d] = Session(
                d, opens.to_pydatetime().astimezone(NEW_YORK), closes.to_pydatetime().astimezone(NEW_YORK)
            )
        for year, sessions in loaded.items():
            _years.setdefault(year, sessions)


def _year_sessions(year: int) -> dict[date, Session]:
    if year not in _years:
        _load_years(year, year)
    return _years[year]


def session(day: date) -> Session | None:
    """The session on ``day``, or None when the exchange is closed."""
    return _year_sessions(day.year).get(day)


def is_trading_day(day: date) -> bool:
    """True when NYSE has a regular or shortened session on ``day``."""
    return session(day) is not None


def is_early_close(day: date) -> bool:
    """True on NYSE half-days (e.g. the day after Thanksgiving, Christmas Eve)."""
    found = session(day)
    return found is not None and found.is_early_close


def trading_days(start: date, end: date) -> list[date]:
    """Every trading day in ``[start, end]``, ascending."""
    days: list[date] = []
    _load_years(start.year, end.year)
    for year in range(start.year, end.year + 1):
        days.extend(d for d in _year_sessions(year) if start <= d <= end)
    return sorted(days)


def previous_trading_days(day: date, count: int) -> list[date]:
    """The ``count`` trading days strictly before ``day``, ascending."""
    found: list[date] = []
    cursor = day - timedelta(days=1)
    while len(found) < count:
        if cursor.year < 1900:
            break
        if is_trading_day(cursor):
            found.append(cursor)
        cursor -= timedelta(days=1)
    return sorted(found)


def previous_trading_day(day: date) -> date:
    """The last trading day strictly before ``day``."""
    return previous_trading_days(day, 1)[0]


def next_trading_day(day: date) -> date:
    """The first trading day strictly after ``day``."""
    cursor = day + timedelta(days=1)
    while not is_trading_day(cursor):
        cursor += timedelta(days=1)
    return cursor


def market_date(moment: datetime) -> date:
    """The New York calendar date of an aware datetime."""
    return moment.astimezone(NEW_YORK).date()


def last_closed_session(now: datetime, *, settle_minutes: int = 0) -> date:
    """The latest session whose close (plus ``settle_minutes``) is at or before ``now`` (aware)."""
    from datetime import timedelta

    today = market_date(now)
    current = session(today)
    if current is not None and now >= current.close + timedelta(minutes=settle_minutes):
        return today
    return previous_trading_day(today)
