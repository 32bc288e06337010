"""Live quotes from Schwab (``GET /marketdata/v1/quotes`` through :class:`SchwabBroker`), the primary source.

Before the close a quote is the last trade (``quote.lastPrice``) with the session so far (open, high, low,
total volume). From the close of the session on it is the day's bar (``final``): the regular session's last
trade (``regular.regularMarketLastPrice``, not ``lastPrice``, which moves after hours, and not
``closePrice``, which is the *previous* close) with the day's open, high, low and volume — provided the
regular session's last trade is from that day. A failure becomes ``SourceUnavailable``, so the chain asks
the fallback (Yahoo).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from jutsu.scheduler import calendar
from trading.broker.errors import BrokerError
from trading.broker.schwab import BrokerQuote, SchwabBroker
from trading.quotes.base import Quote, QuoteSource
from trading.sources.base import SourceUnavailable


class SchwabQuoteSource(QuoteSource):
    """Quotes of the Schwab login (see the module docstring)."""

    name = "schwab"

    def __init__(self, *, broker: SchwabBroker | None = None, broker_factory: Callable[[], SchwabBroker] | None = None):
        self._broker = broker
        self._broker_factory = broker_factory

    def _broker_get(self) -> SchwabBroker:
        if self._broker is None:
            from trading.broker.connection import schwab_broker

            self._broker = (self._broker_factory or schwab_broker)()
        return self._broker

    def quotes(self, symbols: Sequence[str], *, at: datetime) -> dict[str, Quote]:
        try:
            found = self._broker_get().quotes(list(symbols))
        except BrokerError as exc:
            raise SourceUnavailable(str(exc), source=self.name, permanent=exc.permanent)
        day = calendar.market_date(at)
        session = calendar.session(day)
        closed = session is not None and at >= session.close
        return {symbol: _quote(quote, at, day if closed else None, self.name) for symbol, quote in found.items()}


def _quote(quote: BrokerQuote, at: datetime, closed_day, source: str) -> Quote:
    regular_day = calendar.market_date(quote.regular_trade_at) if quote.regular_trade_at else None
    if closed_day is not None and quote.regular_last is not None and regular_day == closed_day:
        return Quote(
            quote.symbol,
            quote.regular_last,
            at,
            source,
            open=quote.open,
            high=quote.high,
            low=quote.low,
            volume=quote.volume,
            final=True,
        )
    return Quote(
        quote.symbol, quote.last, at, source, open=quote.open, high=quote.high, low=quote.low, volume=quote.volume
    )
