"""The interface every market-data source implements, and the raw bar it returns.

A source only fetches: it returns bars as the vendor delivered them (``RawBar``: values unparsed or
as vendor numbers, with a locator for messages). Validation, repair, de-duplication and storage are
the same for every source and live in ``trading.marketdata``, so a CSV row, a Yahoo row and a
Schwab candle are judged by the same rules.

Ranges are New York trading dates, both ends inclusive, for every timeframe.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import Any

from jutsu.errors import ServiceUnavailable

TIMEFRAMES = ("1D", "1H", "15m", "5m")
DAILY = "1D"


@dataclass(frozen=True, slots=True)
class RawBar:
    """One bar as received. ``timestamp`` may be an ISO string, a ``date``, an aware ``datetime`` or
    epoch seconds/milliseconds; prices and volume may be strings, numbers or ``None`` (missing).
    ``where`` locates the bar for messages (``"QQQ.csv line 6879"``, ``"yahoo QQQ"``)."""

    timestamp: Any
    open: Any
    high: Any
    low: Any
    close: Any
    volume: Any
    where: str = ""


class SourceUnavailable(ServiceUnavailable):
    """The source cannot be reached or refused the request (network, rate limit, missing credentials).

    This is the error that makes ``fetch_with_fallback`` try the fallback source; ``permanent`` says
    whether retrying later can help (missing credentials: no; timeout: yes).
    """

    code = "source_unavailable"

    def __init__(self, message: str, *, source: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.source = source
        self.permanent = permanent


class MarketDataSource(ABC):
    """A place bars come from. ``name`` is a ``trading.models.DataSource`` value."""

    name: str = ""
    label: str = ""
    #: True when fetching needs the network (and may therefore be throttled or unavailable).
    remote: bool = True

    @abstractmethod
    def fetch_bars(self, symbol: str, timeframe: str, start: date, end: date) -> list[RawBar]:
        """Bars of ``symbol`` whose trading date lies in ``[start, end]``, in any order.

        Raises ``SourceUnavailable`` when the source cannot answer, ``jutsu.errors.InvalidParameter``
        for a request it can never answer (unsupported timeframe, unknown symbol layout).
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
