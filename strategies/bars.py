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


def bars_reader_install(reader: BarReader | None) -> None:
    """Install the market-data reader (``trading`` does this in ``ready()``; ``None`` removes it)."""
    global _reader
    _reader = reader


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
