"""A small text progress bar for management commands (no dependency; redraws in place on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``start(total)``, ``advance(n)``, ``finish()`` (the shape of :class:`performance.services.backfill.Progress`).

    On a terminal it redraws one line at most ten times a second; otherwise (logs, CI) it prints a line at
    every 10 % so output stays short.
    """

    def __init__(self, stream: TextIO | None = None, *, width: int = 30, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled
        self.total = 0
        self.done = 0
        self.label = ""
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_decile = -1
        self._started = 0.0

    def start(self, total: int, label: str = "") -> None:
        self.total, self.done, self.label = max(total, 0), 0, label
        self._started = time.monotonic()
        self._draw(force=True)

    def advance(self, steps: int = 1, label: str = "") -> None:
        self.done = min(self.done + steps, self.total) if self.total else self.done + steps
        if label:
            self.label = label
        self._draw()

    def finish(self) -> None:
        self.done = self.total
        self._draw(force=self._tty or self._last_decile < 10)
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def render(self) -> str:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self._started
        return f"[{bar}] {fraction * 100:5.1f}% {self.done}/{self.total} {elapsed:5.1f}s {self.label}".rstrip()

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        if self._tty:
            now = time.monotonic()
            if force or now - self._last_draw >= 0.1:
                self._last_draw = now
                self.stream.write("\r" + self.render())
                self.stream.flush()
            return
        decile = int(10 * self.done / self.total) if self.total else 10
        if force or decile > self._last_decile:
            self._last_decile = decile
            self.stream.write(self.render() + "\n")
            self.stream.flush()
