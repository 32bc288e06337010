"""Reads of the trading app.

Market data (valid bars only, as plain pandas/python values for the engine and other apps):
``market_data_frames``, ``market_data_bars_on``, ``market_data_coverage``, ``market_data_coverage_all``,
``latest_bar_date``, ``latest_bar_dates``.

Live trading (ledger, runs, engine): ``account_get``, ``positions_held``, ``trades_list``, ``trade_get``,
``trades_stats``, ``orders_of_day``, ``closed_trade_pnls``, ``regime_state_latest``, ``trading_run_latest``;
for the status pages: ``market_data_staleness``, ``regime_states_latest``, ``strategy_run_results_latest``,
``accounts_with_positions``, ``regime_states_history``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import Avg, CharField, Count, F, FloatField, Max, Min, Q, Subquery, Sum
from django.db.models.functions import Cast

from trading.models import (
    DataMetadata,
    DataSource,
    LiveTrade,
    MarketData,
    Order,
    Position,
    RegimeState,
    Side,
    StrategyRunResult,
    TradingAccount,
    TradingRun,
)
from trading.sources.base import DAILY

NEW_YORK = ZoneInfo("America/New_York")
FRAME_COLUMNS = ["open", "high", "low", "close", "volume"]

# ──────────────────────────────────────────────────────────────────────────────────────────────────
# Market data
# ──────────────────────────────────────────────────────────────────────────────────────────────────


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _bounds(start: date, end: date, timeframe: str) -> tuple[datetime, datetime]:
    """[low, high) storage timestamps of the trading dates start … end (see MarketData's convention)."""
    zone = UTC if timeframe == DAILY else NEW_YORK
    low = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return low, high


def _float_rows(queryset) -> list[tuple]:
    """(timestamp, open, high, low, close, volume) rows straight from the database cursor.

    Prices are cast to float in SQL and the rows bypass Django's per-row converters (Decimal and
    datetime construction), which cost ~5× the query itself for a 10-year frame. Timestamps come
    back as ISO text (``2019-07-19 00:00:00`` on SQLite, ``…+00`` on PostgreSQL); ``_frame``
    parses them in one vectorised call.
    """
    rows = queryset.annotate(
        t=Cast(F("timestamp"), CharField()),
        o=Cast(F("open"), FloatField()),
        h=Cast(F("high"), FloatField()),
        lo=Cast(F("low"), FloatField()),
        c=Cast(F("close"), FloatField()),
    ).values_list("t", "o", "h", "lo", "c", "volume")
    sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _frame(rows: list[tuple], timeframe: str) -> pd.DataFrame:
    if rows:
        stamps, *columns = zip(*rows, strict=True)
        values = np.array(columns, dtype="float64").T
    else:
        stamps, values = (), np.empty((0, len(FRAME_COLUMNS)))
    instants = pd.to_datetime(list(stamps), utc=True, format="ISO8601")
    if timeframe == DAILY:
        index = pd.Index(instants.date, name="date", dtype="object")
    else:
        index = pd.DatetimeIndex(instants, name="timestamp")
    return pd.DataFrame(values, index=index, columns=FRAME_COLUMNS)


def market_data_frames(
    symbols: Iterable[str],
    start: date | datetime | str,
    end: date | datetime | str,
    *,
    timeframe: str = DAILY,
    warmup_bars: int = 0,
) -> dict[str, pd.DataFrame]:
    """Valid bars of each symbol from ``start`` to ``end`` (trading dates, inclusive).

    :param warmup_bars: additionally include up to this many bars before ``start`` (for indicator
        warm-up); fewer when the history is shorter.
    :returns: ``{SYMBOL: DataFrame}`` with float64 columns open, high, low, close, volume, sorted by
        time. Daily frames are indexed by ``datetime.date`` trading dates (index name ``date``);
        intraday frames by a UTC ``DatetimeIndex`` of bar-open instants. A symbol without bars gets
        an empty frame — the caller decides whether that is an error.

    Two indexed range queries per symbol (one without warm-up), no model instances.
    """
    first, last = _as_date(start), _as_date(end)
    low, high = _bounds(first, last, timeframe)
    frames: dict[str, pd.DataFrame] = {}
    for raw in symbols:
        symbol = raw.strip().upper()
        bars = MarketData.objects.filter(symbol=symbol, timeframe=timeframe, is_valid=True)
        rows = _float_rows(bars.filter(timestamp__gte=low, timestamp__lt=high).order_by("timestamp"))
        if warmup_bars > 0:
            warm = _float_rows(bars.filter(timestamp__lt=low).order_by("-timestamp")[:warmup_bars])
            rows = warm[::-1] + rows
        frames[symbol] = _frame(rows, timeframe)
    return frames


@dataclass(frozen=True, slots=True)
class StoredBar:
    """One stored daily bar as money (``Decimal``) and shares."""

    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


def market_data_bars_on(symbols: Iterable[str], day: date) -> dict[str, StoredBar]:
    """The valid daily bar of each symbol dated ``day`` (symbols without one are absent). One query."""
    low, high = _bounds(day, day, DAILY)
    wanted = sorted({s.strip().upper() for s in symbols})
    rows = MarketData.objects.filter(
        symbol__in=wanted, timeframe=DAILY, is_valid=True, timestamp__gte=low, timestamp__lt=high
    ).values_list("symbol", "open", "high", "low", "close", "volume")
    return {symbol: StoredBar(o, h, lo, c, int(v)) for symbol, o, h, lo, c, v in rows}


@dataclass(frozen=True, slots=True)
class Coverage:
    symbol: str
    timeframe: str
    first_date: date | None
    last_date: date | None
    bar_count: int
    valid_bar_count: int
    last_sync_at: datetime | None
    last_source: str

    @property
    def has_data(self) -> bool:
        return self.valid_bar_count > 0


def _coverage(row: DataMetadata) -> Coverage:
    return Coverage(
        symbol=row.symbol,
        timeframe=row.timeframe,
        first_date=row.first_bar_at.date() if row.first_bar_at else None,
        last_date=row.last_bar_at.date() if row.last_bar_at else None,
        bar_count=row.bar_count,
        valid_bar_count=row.valid_bar_count,
        last_sync_at=row.last_sync_at,
        last_source=row.last_source,
    )


def market_data_coverage(symbol: str, *, timeframe: str = DAILY) -> Coverage:
    """What is stored for (symbol, timeframe): first/last valid bar dates (UTC date of the storage
    timestamp — the trading date for daily bars), counts, last sync and source."""
    symbol = symbol.strip().upper()
    row = DataMetadata.objects.filter(symbol=symbol, timeframe=timeframe).first()
    if row is None:
        return Coverage(symbol, timeframe, None, None, 0, 0, None, "")
    return _coverage(row)


def market_data_coverage_ranges(symbols: Iterable[str], *, timeframe: str = DAILY) -> dict[str, tuple[date, date]]:
    """``{SYMBOL: (first_date, last_date)}`` of the valid stored bars of each symbol that has any (one query on
    the coverage table; ``strategies.bars`` reads it through its port)."""
    wanted = sorted({s.strip().upper() for s in symbols})
    rows = DataMetadata.objects.filter(symbol__in=wanted, timeframe=timeframe, valid_bar_count__gt=0)
    return {
        cov.symbol: (cov.first_date, cov.last_date)
        for cov in map(_coverage, rows)
        if cov.first_date is not None and cov.last_date is not None
    }


def market_data_coverage_all(*, timeframe: str | None = None) -> list[Coverage]:
    """Coverage of every stored series, by symbol."""
    rows = DataMetadata.objects.all()
    if timeframe:
        rows = rows.filter(timeframe=timeframe)
    return [_coverage(row) for row in rows.order_by("symbol", "timeframe")]


def latest_bar_date(symbol: str, *, timeframe: str = DAILY) -> date | None:
    """Trading date of the newest valid bar of ``symbol`` (New York date for intraday), or None."""
    stamp = (
        MarketData.objects.filter(symbol=symbol.strip().upper(), timeframe=timeframe, is_valid=True)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    if stamp is None:
        return None
    return stamp.date() if timeframe == DAILY else stamp.astimezone(NEW_YORK).date()


def latest_bar_dates(symbols: Iterable[str], *, before: date | None = None) -> dict[str, date | None]:
    """Trading date of the newest valid daily bar of each symbol (dated before ``before`` when given)."""
    out: dict[str, date | None] = {}
    for symbol in sorted({s.strip().upper() for s in symbols}):
        bars = MarketData.objects.filter(symbol=symbol, timeframe=DAILY, is_valid=True)
        if before is not None:
            bars = bars.filter(timestamp__lt=_bounds(before, before, DAILY)[0])
        stamp = bars.order_by("-timestamp").values_list("timestamp", flat=True).first()
        out[symbol] = stamp.date() if stamp is not None else None
    return out


def market_data_freshness(*, symbol: str = "QQQ", now: datetime | None = None) -> dict:
    """How far the stored daily bars of ``symbol`` lag behind the last completed NYSE session.

    Stale means more than ``data.max_staleness_days`` calendar days behind. Informational: the
    readiness report shows it, but stale data does not make the platform "not ready".
    """
    from django.utils import timezone

    from jutsu.conf.resolver import resolve_value
    from trading.marketdata.sync import last_completed_session

    expected = last_completed_session(now or timezone.now())
    last = latest_bar_date(symbol)
    if last is None:
        return {"ok": False, "symbol": symbol, "last_bar": None, "expected": expected.isoformat(), "lag_days": None}
    lag = (expected - last).days
    return {
        "ok": lag <= resolve_value("data.max_staleness_days"),
        "symbol": symbol,
        "last_bar": last.isoformat(),
        "expected": expected.isoformat(),
        "lag_days": lag,
    }


# ──────────────────────────────────────────────────────────────────────────────────────────────────
# Live trading
# ──────────────────────────────────────────────────────────────────────────────────────────────────


def account_get(strategy_id: str, mode: str) -> TradingAccount | None:
    """The trading account of a strategy in a mode, or ``None`` before its first trading day."""
    return TradingAccount.objects.filter(strategy_id=strategy_id, mode=mode).first()


def positions_held(strategy_id: str, mode: str) -> dict[str, Position]:
    """``{symbol: Position}`` of the positions with a non-zero quantity. One query."""
    rows = Position.objects.filter(strategy_id=strategy_id, mode=mode, quantity__gt=0).order_by("symbol")
    return {row.symbol: row for row in rows}


def trades_list(
    *,
    strategy_id: str | None = None,
    mode: str | None = None,
    symbol: str | None = None,
    start: date | None = None,
    end: date | None = None,
):
    """Trades, newest first, filtered by strategy, mode, symbol and trading-date range (inclusive)."""
    rows = LiveTrade.objects.all()
    if strategy_id:
        rows = rows.filter(strategy_id=strategy_id)
    if mode:
        rows = rows.filter(mode=mode)
    if symbol:
        rows = rows.filter(symbol=symbol.strip().upper())
    if start:
        rows = rows.filter(trading_date__gte=start)
    if end:
        rows = rows.filter(trading_date__lte=end)
    return rows.order_by("-timestamp", "-id")


def trade_get(trade_id: int) -> LiveTrade | None:
    """One trade with its order (one query), or ``None``."""
    return LiveTrade.objects.select_related("order").filter(pk=trade_id).first()


_STATS = {
    "total": Count("id"),
    "buys": Count("id", filter=Q(action=Side.BUY)),
    "sells": Count("id", filter=Q(action=Side.SELL)),
    "closed": Count("id", filter=Q(realized_pnl__isnull=False)),
    "winning": Count("id", filter=Q(realized_pnl__gt=0)),
    "losing": Count("id", filter=Q(realized_pnl__lt=0)),
    "realized_pnl": Sum("realized_pnl"),
    "commission": Sum("commission"),
    "traded_value": Sum("fill_value"),
    "avg_slippage_pct": Avg("slippage_pct"),
    "first_date": Min("trading_date"),
    "last_date": Max("trading_date"),
}


def _stats_row(row: dict) -> dict:
    closed = row["closed"]
    return {
        **row,
        "realized_pnl": str(row["realized_pnl"] or Decimal(0)),
        "commission": str(row["commission"] or Decimal(0)),
        "traded_value": str(row["traded_value"] or Decimal(0)),
        "win_rate": (row["winning"] / closed) if closed else None,
    }


def trades_stats(trades) -> dict:
    """Counts, win rate (winning / closing trades), realised P&L, costs and volume of ``trades`` (a
    :func:`trades_list` queryset) overall and per (strategy_id, mode); money as decimal text. Two queries."""
    overall = _stats_row(trades.order_by().aggregate(**_STATS))
    groups = trades.order_by().values("strategy_id", "mode").annotate(**_STATS).order_by("strategy_id", "mode")
    return {**overall, "by_strategy": [_stats_row(dict(row)) for row in groups]}


def orders_of_day(strategy_id: str, mode: str, day: date, *, manual: bool = False) -> list[Order]:
    """The orders of one strategy, mode and trading day in plan order: the trading job's (default) or the
    manual/flatten ones."""
    rows = Order.objects.filter(strategy_id=strategy_id, mode=mode, trading_date=day)
    rows = rows.filter(reason="Manual") if manual else rows.exclude(reason="Manual")
    return list(rows.order_by("sequence", "id"))


def closed_trade_pnls(
    strategy_ids: Iterable[str], mode: str, start: date, end: date
) -> dict[tuple[str, date], list[float]]:
    """Realised P&L of each closing (sell) trade, per (strategy_id, trading_date) in ``[start, end]``.

    The EOD job's trade statistics (total / winning / losing / win rate) count these. One query.
    """
    rows = LiveTrade.objects.filter(
        strategy_id__in=list(strategy_ids),
        mode=mode,
        action=Side.SELL,
        trading_date__gte=start,
        trading_date__lte=end,
        realized_pnl__isnull=False,
    ).order_by("trading_date", "timestamp", "id")
    out: dict[tuple[str, date], list[float]] = defaultdict(list)
    for strategy_id, day, pnl in rows.values_list("strategy_id", "trading_date", "realized_pnl"):
        out[(strategy_id, day)].append(float(pnl))
    return dict(out)


def regime_state_latest(strategy_id: str, mode: str, *, before: date | None = None) -> RegimeState | None:
    """The newest regime row of a strategy in a mode (dated before ``before`` when given)."""
    rows = RegimeState.objects.filter(strategy_id=strategy_id, mode=mode)
    if before is not None:
        rows = rows.filter(trading_date__lt=before)
    return rows.order_by("-trading_date").first()


def trading_run_latest() -> TradingRun | None:
    """The most recent trading run with its per-strategy results."""
    return TradingRun.objects.prefetch_related("results").order_by("-started_at", "-id").first()


def market_data_staleness(*, now: datetime) -> dict:
    """Every symbol in use (active strategies' symbols and baselines) against the last completed session:
    its newest valid daily bar, the sessions and calendar days it lags, and whether that is stale
    (more than ``data.max_staleness_days`` calendar days). One coverage query."""
    from jutsu.conf.resolver import resolve_value
    from jutsu.scheduler import calendar
    from trading.jobs import symbols_in_use
    from trading.marketdata.sync import last_completed_session

    expected = last_completed_session(now)
    allowed = resolve_value("data.max_staleness_days")
    coverage = {c.symbol: c for c in market_data_coverage_all(timeframe=DAILY)}
    rows = []
    for symbol in symbols_in_use():
        found = coverage.get(symbol)
        last = found.last_date if found else None
        lag = (expected - last).days if last else None
        behind = len(calendar.trading_days(last + timedelta(days=1), expected)) if last and last < expected else 0
        rows.append(
            {
                "symbol": symbol,
                "last_bar": last.isoformat() if last else None,
                "lag_days": lag,
                "sessions_behind": behind if last else None,
                "stale": last is None or lag > allowed,
                "last_sync_at": found.last_sync_at.isoformat() if found and found.last_sync_at else None,
                "last_source": found.last_source if found else "",
            }
        )
    return {
        "expected_session": expected.isoformat(),
        "max_staleness_days": allowed,
        "stale": any(r["stale"] for r in rows),
        "symbols": rows,
    }


def regime_states_latest(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RegimeState]:
    """The newest regime row of each (strategy_id, mode) pair (pairs without one are absent). One query."""
    pairs = list(pairs)
    if not pairs:
        return {}
    wanted = Q()
    for strategy_id, mode in pairs:
        own = Q(strategy_id=strategy_id, mode=mode)
        # the pair's newest date: one index seek, whatever the length of its history
        newest = RegimeState.objects.filter(own).order_by("-trading_date").values("trading_date")[:1]
        wanted |= own & Q(trading_date=Subquery(newest))
    return {(row.strategy_id, row.mode): row for row in RegimeState.objects.filter(wanted)}


def strategy_run_results_latest(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], StrategyRunResult]:
    """The latest trading-run result of each (strategy_id, mode) pair, with its run. One query."""
    pairs = list(pairs)
    if not pairs:
        return {}
    wanted = Q()
    for strategy_id, mode in pairs:
        wanted |= Q(strategy_id=strategy_id, mode=mode)
    rows = StrategyRunResult.objects.filter(wanted).select_related("trading_run")
    out: dict[tuple[str, str], StrategyRunResult] = {}
    for row in rows.order_by("strategy_id", "mode", "-trading_run__started_at", "-id"):
        out.setdefault((row.strategy_id, row.mode), row)
    return out


def accounts_with_positions(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    """``{(strategy_id, mode): (TradingAccount | None, [held Position, …])}``. Two queries."""
    pairs = list(pairs)
    out: dict[tuple[str, str], tuple] = {pair: (None, []) for pair in pairs}
    if not pairs:
        return out
    wanted = Q()
    for strategy_id, mode in pairs:
        wanted |= Q(strategy_id=strategy_id, mode=mode)
    for account in TradingAccount.objects.filter(wanted):
        out[(account.strategy_id, account.mode)] = (account, [])
    for position in Position.objects.filter(wanted, quantity__gt=0).order_by("symbol"):
        key = (position.strategy_id, position.mode)
        if key in out:
            out[key][1].append(position)
    return out


def regime_states_history(
    *, strategy_id: str | None = None, mode: str | None = None, start: date | None = None, end: date | None = None
):
    """Regime rows oldest first, filtered by strategy, mode and trading-date range (inclusive). A lazy queryset."""
    rows = RegimeState.objects.all()
    if strategy_id:
        rows = rows.filter(strategy_id=strategy_id)
    if mode:
        rows = rows.filter(mode=mode)
    if start:
        rows = rows.filter(trading_date__gte=start)
    if end:
        rows = rows.filter(trading_date__lte=end)
    return rows.order_by("trading_date", "strategy_id", "mode")


def market_data_synthetic_symbols() -> list[str]:
    """Symbols whose stored daily series are synthetic demo bars (generated, not real prices), sorted.

    One indexed query on the per-series coverage table (a row per symbol); pages ask once per request
    (``trading.context_processors``), so the banner follows an import or a removal at once.
    """
    rows = DataMetadata.objects.filter(timeframe=DAILY, last_source=DataSource.SYNTHETIC)
    return sorted(rows.values_list("symbol", flat=True))
