"""What the EOD job and the backfill read from the trading app: daily closes and closed trades.

Both go through ``trading.selectors`` (the dependency points performance → trading) and come back as plain
Python values, loaded once per run for every symbol or strategy involved (no per-day queries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from jutsu.errors import DataMissing
from trading import selectors as trading_selectors

Closes = dict[str, dict[date, float]]


def closes_between(symbols: Iterable[str], start: date, end: date) -> Closes:
    """Daily closes ``{SYMBOL: {trading_date: close}}`` of valid bars in ``[start, end]`` (floats).

    A symbol without bars maps to an empty dict: the caller decides whether that is an error.
    """
    wanted = sorted({s.strip().upper() for s in symbols if s and s.strip()})
    if not wanted:
        return {}
    frames = trading_selectors.market_data_frames(wanted, start, end)
    return {symbol: dict(zip(frame.index, frame["close"].tolist(), strict=True)) for symbol, frame in frames.items()}


def close_on(closes: Closes, symbol: str, day: date) -> float:
    """The close of ``symbol`` on ``day``; :class:`DataMissing` naming both when there is none."""
    value = closes.get(symbol.upper(), {}).get(day)
    if value is None or not value > 0:
        raise DataMissing(f"no daily close for {symbol} on {day.isoformat()} (import or sync its market data)")
    return value


def closed_trade_pnls(
    pairs: Iterable[tuple[str, str]], start: date, end: date
) -> dict[tuple[str, str, date], list[float]]:
    """Realised P&Ls of the trades closed per (strategy_id, mode, trading_date) in ``[start, end]``.

    ``pairs`` are (strategy_id, mode); one read per mode of ``trading.selectors.closed_trade_pnls`` (the
    realised P&L of the sells recorded as ``LiveTrade`` rows; backtest-seeded history carries the backtest's
    trades instead).
    """
    reader = trading_selectors.closed_trade_pnls
    by_mode: dict[str, list[str]] = defaultdict(list)
    for strategy_id, mode in pairs:
        by_mode[mode].append(strategy_id)
    out: dict[tuple[str, str, date], list[float]] = defaultdict(list)
    for mode, strategy_ids in by_mode.items():
        for (strategy_id, day), pnls in reader(strategy_ids, mode, start, end).items():
            out[(strategy_id, mode, day)].extend(pnls)
    return out
