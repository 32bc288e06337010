"""Warnings recorded once per key, with the first and last date they occurred and how often (private)."""

from __future__ import annotations

import datetime as dt


class WarningTally:
    """A run's or a strategy's warnings: one line per key, however often it repeats."""

    def __init__(self) -> None:
        self._entries: dict[str, list] = {}  # key → [message, first date, last date, count]

    def add(self, key: str, message: str, date: dt.date | None = None) -> None:
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = [message, date, date, 1]
        else:
            entry[2], entry[3] = date, entry[3] + 1

    def lines(self, unit: str) -> list[str]:
        """``message (first)``, or ``message (N <unit>, first … last)`` for a repeated warning."""
        out = []
        for message, first, last, count in self._entries.values():
            span = f" ({count} {unit}, {first} … {last})" if count > 1 else (f" ({first})" if first else "")
            out.append(message + span)
        return out
