"""Current prices for the trading job: the :class:`QuoteSource` interface, live sources by name, and the
replay source that answers from stored bars for a past moment.

``quote_source_for(as_of, now=…)`` picks the replay source when ``as_of`` lies in the past (a replay) and the
live chain otherwise (``data.primary_source`` then ``data.fallback_source``, among the sources registered
with ``quote_source_register``).
"""

from trading.quotes.base import (
    FallbackQuoteSource,
    Quote,
    QuoteSource,
    quote_source_for,
    quote_source_live,
    quote_source_register,
)
from trading.quotes.replay import ReplayQuoteSource

__all__ = [
    "FallbackQuoteSource",
    "Quote",
    "QuoteSource",
    "ReplayQuoteSource",
    "quote_source_for",
    "quote_source_live",
    "quote_source_register",
]
