"""The quote interface: what a live or replayed price source answers for "these symbols, now".

A :class:`QuoteSource` answers ``quotes(symbols, at=moment)`` with a :class:`Quote` per symbol it can price
(symbols it cannot price are absent — the caller decides whether that matters). It must not return anything
observed after ``at``. Sources raise ``trading.sources.base.SourceUnavailable`` when they cannot answer at all
(network, credentials); the fallback chain then asks the next one.

Live sources (Schwab, Yahoo) are registered by name with :func:`quote_source_register` — the broker code does
that in its app's ``ready()`` — and chained in the order of ``data.primary_source`` / ``data.fallback_source``.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from jutsu.errors import DataMissing
from trading.sources.base import SourceUnavailable

logger = logging.getLogger(__name__)

#: ``as_of`` further than this from the wall clock is a replay of a past moment (as in ``JobContext.replay``).
REPLAY_AFTER_SECONDS = 300


@dataclass(frozen=True)
class Quote:
    """The price of ``symbol`` at ``at`` (aware), from ``source``.

    ``price`` is the last trade. ``open``/``high``/``low``/``volume`` describe the session so far when the
    source knows them; ``final`` is true once the session has closed, and the quote is then the day's bar
    (``price`` its close).
    """

    symbol: str
    price: Decimal
    at: datetime
    source: str
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    volume: int | None = None
    final: bool = False


class QuoteSource(ABC):
    """A place current prices come from (see the module docstring)."""

    name: str = ""

    @abstractmethod
    def quotes(self, symbols: Sequence[str], *, at: datetime) -> dict[str, Quote]:
        """``{SYMBOL: Quote}`` for the symbols this source can price at ``at``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class FallbackQuoteSource(QuoteSource):
    """Asks each source in turn for the symbols the previous ones could not price."""

    name = "fallback"

    def __init__(self, sources: Sequence[QuoteSource]) -> None:
        self.sources = list(sources)
        self.failures: list[str] = []

    def quotes(self, symbols: Sequence[str], *, at: datetime) -> dict[str, Quote]:
        found: dict[str, Quote] = {}
        for source in self.sources:
            missing = [s for s in symbols if s not in found]
            if not missing:
                break
            try:
                found.update(source.quotes(missing, at=at))
            except SourceUnavailable as exc:
                logger.warning("quote source %s unavailable: %s", source.name, exc)
                self.failures.append(f"{source.name}: {exc}")
        return found


_lock = threading.Lock()
_factories: dict[str, Callable[[], QuoteSource]] = {}


def quote_source_register(name: str, factory: Callable[[], QuoteSource] | None) -> None:
    """Offer the live quote source ``name`` (a ``data.*_source`` value); ``None`` withdraws it."""
    with _lock:
        if factory is None:
            _factories.pop(name, None)
        else:
            _factories[name] = factory


def quote_source_live() -> QuoteSource:
    """The live chain: ``data.primary_source`` then ``data.fallback_source``, those that are registered."""
    from jutsu.conf.resolver import resolve_value

    names = list(dict.fromkeys([resolve_value("data.primary_source"), resolve_value("data.fallback_source")]))
    with _lock:
        sources = [_factories[name]() for name in names if name in _factories]
    if not sources:
        raise DataMissing(
            f"no live quote source is available (configured: {', '.join(names)}; "
            f"registered: {', '.join(sorted(_factories)) or 'none'})"
        )
    return sources[0] if len(sources) == 1 else FallbackQuoteSource(sources)


def quote_source_for(as_of: datetime, *, now: datetime) -> QuoteSource:
    """Replay source for a past ``as_of`` (stored bars), the live chain otherwise."""
    if abs((now - as_of).total_seconds()) > REPLAY_AFTER_SECONDS:
        from trading.quotes.replay import ReplayQuoteSource

        return ReplayQuoteSource()
    return quote_source_live()
