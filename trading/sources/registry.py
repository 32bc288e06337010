"""Source lookup by name, and the primary → fallback fetch used by sync and the live jobs.

``get_source(name)`` returns one shared instance per process (so Yahoo's throttle and cache hold
process-wide); ``register_source`` replaces it (tests, or the broker app plugging in a Schwab source
that reads its encrypted token store).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

from jutsu.errors import InvalidParameter
from trading.sources.base import MarketDataSource, RawBar, SourceUnavailable

_lock = threading.Lock()
_instances: dict[str, MarketDataSource] = {}


def _build(name: str) -> MarketDataSource:
    if name == "yahoo":
        from trading.sources.yahoo import YahooSource

        return YahooSource()
    if name == "schwab":
        from trading.sources.schwab import SchwabSource

        return SchwabSource()
    if name == "synthetic":
        from trading.sources.synthetic_source import SyntheticSource

        return SyntheticSource()
    if name == "csv":
        raise InvalidParameter("the csv source reads files: use import_market_data FILE…")
    raise InvalidParameter(f"unknown market-data source {name!r}; choose yahoo, schwab or synthetic")


def get_source(name: str) -> MarketDataSource:
    with _lock:
        if name not in _instances:
            _instances[name] = _build(name)
        return _instances[name]


def register_source(name: str, source: MarketDataSource | None) -> None:
    """Use ``source`` for ``name`` from now on (``None`` forgets it, so the default is rebuilt)."""
    with _lock:
        if source is None:
            _instances.pop(name, None)
        else:
            _instances[name] = source


@dataclass(slots=True)
class FetchResult:
    bars: list[RawBar]
    source: str
    #: one message per source that was tried and failed before ``source`` answered.
    failures: list[str] = field(default_factory=list)


def fetch_with_fallback(
    symbol: str,
    timeframe: str,
    start: date,
    end: date,
    *,
    primary: str | None = None,
    fallback: str | None = None,
) -> FetchResult:
    """Fetch from the primary source, and from the fallback when the primary cannot answer.

    Defaults come from the runtime parameters ``data.primary_source`` / ``data.fallback_source``.
    A source "cannot answer" when it raises ``SourceUnavailable`` (outage, rate limit, missing or
    expired credentials) or ``InvalidParameter`` (e.g. a timeframe it does not offer).
    """
    if primary is None or fallback is None:
        from jutsu.conf.resolver import resolve_value

        primary = primary or resolve_value("data.primary_source")
        fallback = fallback or resolve_value("data.fallback_source")
    order = [primary] + ([fallback] if fallback and fallback != primary else [])
    failures: list[str] = []
    unavailable = False
    for name in order:
        try:
            bars = get_source(name).fetch_bars(symbol, timeframe, start, end)
        except SourceUnavailable as exc:
            failures.append(f"{name}: {exc}")
            unavailable = True
            continue
        except InvalidParameter as exc:
            failures.append(f"{name}: {exc}")
            continue
        return FetchResult(bars=bars, source=name, failures=failures)
    message = f"no market-data source could deliver {symbol} {timeframe}: " + "; ".join(failures)
    if unavailable:
        raise SourceUnavailable(message, source=order[-1])
    raise InvalidParameter(message)
