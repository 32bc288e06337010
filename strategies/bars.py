"""Bars for a strategy over a date range with warm-up — the port through which ``strategies`` reads market data.

The apps depend one way (``performance → trading → strategies``), yet a backtest needs the bars that
``trading`` stores. So ``strategies`` declares what it needs here and ``trading`` plugs the reader in at
start-up (``trading/apps.py`` installs ``trading.selectors.market_data_frames``). Everything that runs the
numeric core over stored bars — backtests, optimisation, the live runner — loads them through this module,
so all of them see exactly the same bars for the same range:

* per symbol, the bars dated ``start … end`` plus the last ``warmup_bars(strategy)`` bars before ``start``
  (the strategy's declared warm-up plus :data:`WARMUP_MARGIN`, because some indicators — the Kalman
  oscillator's normalisation buffer — look further back than the declared warm-up);
* the strategy's symbols and its baseline symbol;
* a required symbol without a bar in the range is a :class:`~jutsu.errors.DataMissing` naming it.

:func:`bars_window` cuts the same window out of frames loaded once for several strategies (the live
runner's shared fetch), so a window cut from a larger fetch equals a direct load.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from datetime import date

import pandas as pd

from jutsu.errors import ConfigError, DataMissing
from strategies.engine.strategy import Strategy

#: Extra bars loaded before the declared warm-up (see the module docstring).
WARMUP_MARGIN = 20

#: ``reader(symbols, start, end, *, warmup_bars) -> {SYMBOL: DataFrame}`` — frames indexed by trading date
#: (``datetime.date``) with float columns open, high, low, close, volume; an empty frame for a symbol without bars.
BarReader = Callable[..., dict[str, pd.DataFrame]]

_reader: BarReader | None = None

#: ``coverage(symbols) -> {SYMBOL: (first_date, last_date)}``: the first and last stored valid daily bar of each
#: symbol; a symbol without bars is left out. One query for all symbols.
CoverageReader = Callable[[list[str]], dict[str, tuple[date, date]]]

_coverage: CoverageReader | None = None

#: Bars a run needs after its warm-up to be worth running (the demo and the pages' hints use it).
MIN_RUN_BARS = 20


def bars_reader_install(reader: BarReader | None) -> None:
    """Install the market-data reader (``trading`` does this in ``ready()``; ``None`` removes it)."""
    global _reader
    _reader = reader


def bars_coverage_install(reader: CoverageReader | None) -> None:
    """Install the coverage reader (``trading`` does this in ``ready()``; ``None`` removes it)."""
    global _coverage
    _coverage = reader


def bars_coverage(symbols: Iterable[str]) -> dict[str, tuple[date, date]]:
    """First and last stored daily bar of each of ``symbols`` that has bars (one query)."""
    if _coverage is None:
        raise ConfigError("no market-data coverage reader is installed: the 'trading' app must be in INSTALLED_APPS")
    return _coverage(list(dict.fromkeys(symbols)))


def bars_range_available(
    strategy: Strategy, coverage: Mapping[str, tuple[date, date]], *, min_bars: int = MIN_RUN_BARS
) -> tuple[date, date]:
    """The longest range a run of ``strategy`` can cover with the stored bars: from the first trading day after
    its warm-up (:func:`warmup_bars`) to the last date every required symbol covers.

    ``coverage`` is :func:`bars_coverage` of (at least) the required symbols. :class:`DataMissing` names the
    symbols without bars, or says how short the common history is (fewer than ``min_bars`` after the warm-up).
    """
    from jutsu.scheduler.calendar import trading_days

    missing = [s for s in strategy.required_symbols if s not in coverage]
    if missing:
        raise DataMissing(f"no bars for {', '.join(missing)}")
    first = max(coverage[s][0] for s in strategy.required_symbols)
    last = min(coverage[s][1] for s in strategy.required_symbols)
    days = trading_days(first, last) if first <= last else []
    warmup = warmup_bars(strategy)
    if len(days) <= warmup + min_bars:
        raise DataMissing(f"not enough history ({len(days)} days) for a {warmup}-bar warm-up")
    return days[warmup], last


def bars_read(symbols: Iterable[str], start: date, end: date, *, warmup_bars: int = 0) -> dict[str, pd.DataFrame]:
    """Frames of ``symbols`` dated ``start … end`` plus up to ``warmup_bars`` bars before ``start`` each."""
    if _reader is None:
        raise ConfigError("no market-data reader is installed: the 'trading' app must be in INSTALLED_APPS")
    return _reader(list(symbols), start, end, warmup_bars=warmup_bars)


def warmup_bars(strategy: Strategy) -> int:
    """Bars loaded before the start for ``strategy``: its declared warm-up plus :data:`WARMUP_MARGIN`."""
    return strategy.warmup_bars + WARMUP_MARGIN


def strategy_symbols(strategy: Strategy, baseline_symbol: str | None = None) -> list[str]:
    """The strategy's symbols (required first) and its baseline symbol, each once."""
    return [s for s in dict.fromkeys([*strategy.symbols, baseline_symbol or ""]) if s]


def bars_check_required(strategy: Strategy, frames: Mapping[str, pd.DataFrame], start: date, end: date) -> None:
    """:class:`DataMissing` naming the first required symbol without a bar dated ``start … end``."""
    for symbol in strategy.required_symbols:
        frame = frames.get(symbol)
        in_range = frame is not None and len(frame) and any(start <= d <= end for d in frame.index)
        if not in_range:
            raise DataMissing(
                f"no {symbol} bars between {start} and {end}: import or sync {symbol} first "
                f"(python manage.py import_market_data / sync_market_data)"
            )


def strategy_bars(
    strategy: Strategy, start: date, end: date, *, baseline_symbol: str | None = None
) -> dict[str, pd.DataFrame]:
    """The bars a run of ``strategy`` over ``start … end`` uses (see the module docstring); symbols without
    bars are left out, a required one is an error."""
    frames = bars_read(strategy_symbols(strategy, baseline_symbol), start, end, warmup_bars=warmup_bars(strategy))
    bars_check_required(strategy, frames, start, end)
    return {symbol: frame for symbol, frame in frames.items() if len(frame)}


def bars_window(
    frames: Mapping[str, pd.DataFrame], symbols: Iterable[str], start: date, end: date, *, warmup: int
) -> dict[str, pd.DataFrame]:
    """Cut, per symbol, the bars dated ``start … end`` plus the last ``warmup`` bars before ``start`` out of
    frames loaded with at least that much history — the same bars :func:`bars_read` would return.
    Symbols missing from ``frames`` or without bars in the window are left out."""
    out: dict[str, pd.DataFrame] = {}
    for symbol in dict.fromkeys(symbols):
        frame = frames.get(symbol)
        if frame is None or not len(frame):
            continue
        days = list(frame.index)  # sorted trading dates
        before = bisect.bisect_left(days, start)
        after = bisect.bisect_right(days, end)
        cut = frame.iloc[max(0, before - warmup) : after]
        if len(cut):
            out[symbol] = cut
    return out
