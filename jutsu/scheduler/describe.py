"""Crontab entries in words, for people: ``5 16 * * mon-fri`` (New York) → "weekdays at 16:05 New York".

Pure functions. Anything this does not recognise is shown as the crontab fields themselves, so a
description is never wrong, at worst technical.
"""

from __future__ import annotations

DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
_DAY_NUMBERS = {name.lower(): number for number, name in enumerate(DAY_NAMES)}
_WEEKDAYS, _WEEKEND, _ALL_DAYS = {1, 2, 3, 4, 5}, {0, 6}, set(range(7))
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _numbers(field: str, names: dict[str, int] | None = None, *, top: int) -> list[int] | None:
    """The values of a crontab field of numbers, names, ranges and steps; ``None`` for ``*``/unparsable."""
    field = field.strip().lower()
    if field in ("*", ""):
        return None
    values: set[int] = set()
    try:
        for part in field.split(","):
            part, _, step_text = part.partition("/")
            step = int(step_text) if step_text else 1
            if part == "*":
                lo, hi = 0, top
            else:
                first, _, last = part.partition("-")
                lo = names[first] if names and first in names else int(first)
                hi = (names[last] if names and last in names else int(last)) if last else lo
            values.update(range(lo, hi + 1, step))
    except (ValueError, KeyError):
        return None
    return sorted(values)


def _days(day_of_week: str, day_of_month: str, month_of_year: str) -> str | None:
    week = _numbers(day_of_week, _DAY_NUMBERS, top=6)
    week = sorted({day % 7 for day in week}) if week is not None else None  # 7 is Sunday too
    month_days = _numbers(day_of_month, top=31)
    months = _numbers(month_of_year, {m.lower(): i + 1 for i, m in enumerate(MONTH_NAMES)}, top=12)
    if (day_of_week.strip() not in ("*", "") and week is None) or (
        day_of_month.strip() not in ("*", "") and not month_days
    ):
        return None
    if week is None or set(week) == _ALL_DAYS:
        text = "every day"
    elif set(week) == _WEEKDAYS:
        text = "weekdays"
    elif set(week) == _WEEKEND:
        text = "weekends"
    else:
        text = ", ".join(DAY_NAMES[day] for day in week)
    if month_days:
        text = "on day " + ", ".join(str(day) for day in month_days) + " of the month"
    if months and len(months) < 12:
        text += " in " + ", ".join(MONTH_NAMES[month - 1] for month in months)
    return text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _times(minute: str, hour: str) -> str | None:
    minutes, hours = _numbers(minute, top=59), _numbers(hour, top=23)
    if minutes is None or hours is None:
        if minute.strip().startswith("*/") and hours is None and minutes:
            return f"every {minutes[1] - minutes[0] if len(minutes) > 1 else 60} minutes"
        return None
    if len(hours) > 2 and len(minutes) == 1 and hours == list(range(hours[0], hours[-1] + 1)):
        return f"every hour from {hours[0]:02d}:{minutes[0]:02d} to {hours[-1]:02d}:{minutes[0]:02d}"
    if len(hours) * len(minutes) > 6:
        return None
    return "at " + _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes])


def timezone_label(name: str) -> str:
    """``America/New_York`` → ``New York``; ``UTC`` stays."""
    return str(name or "UTC").rsplit("/", 1)[-1].replace("_", " ")


def crontab_describe(
    *,
    minute: str,
    hour: str,
    day_of_week: str = "*",
    day_of_month: str = "*",
    month_of_year: str = "*",
    tz: str = "UTC",
) -> str:
    """One crontab entry in words: "weekdays at 16:05 New York", "every day at 02:30 New York",
    "weekdays, every hour from 10:00 to 15:00 New York"; the raw fields when not recognised."""
    days, times = _days(day_of_week, day_of_month, month_of_year), _times(minute, hour)
    if days is None or times is None:
        return f"{minute} {hour} {day_of_month} {month_of_year} {day_of_week} ({timezone_label(tz)})"
    separator = ", " if times.startswith("every") else " "
    return f"{days}{separator}{times} {timezone_label(tz)}"
