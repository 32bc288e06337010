"""Quotes for a past moment, from stored daily bars — what the trading job and flatten use when replaying.

For an as-of moment during session D (New York, the NYSE calendar, half-days closing at 13:00) the price is
the stored bar of D's

* **open** from the open until 15 minutes before the close (the ``open`` / ``15min_after_open`` times),
* **close** from 15 minutes before the close on (the ``15min_before_close`` / ``5min_before_close`` times),

and at or after the close the quote is the whole bar (``final``). Before the open, on a closed day or without a
stored bar of D a symbol has no quote. Nothing dated after D is ever read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from jutsu.scheduler import calendar
from trading.quotes.base import Quote, QuoteSource

#: From this long before the close on, a replay prices at the day's close.
CLOSE_PRICE_FROM = timedelta(minutes=15)


class ReplayQuoteSource(QuoteSource):
    """Prices a past moment from the stored daily bar of its session (see the module docstring)."""

    name = "replay"

    def quotes(self, symbols: Sequence[str], *, at: datetime) -> dict[str, Quote]:
        from trading.selectors import market_data_bars_on

        day = calendar.market_date(at)
        session = calendar.session(day)
        if session is None or at < session.open:
            return {}
        final = at >= session.close
        use_close = at >= session.close - CLOSE_PRICE_FROM
        quotes: dict[str, Quote] = {}
        for symbol, bar in market_data_bars_on(symbols, day).items():
            if final:
                quotes[symbol] = Quote(
                    symbol, bar.close, at, self.name, bar.open, bar.high, bar.low, bar.volume, final=True
                )
            else:
                quotes[symbol] = Quote(symbol, bar.close if use_close else bar.open, at, self.name)
        return quotes
