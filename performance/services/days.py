"""An entity's end-of-day values, from snapshots or market data. Pure (inputs are loaded by the caller).

Strategy (``strategy_day_values``):

* With snapshots that day: the **last** snapshot (by timestamp, then id) is the end of the day — equity, cash,
  positions. Earlier snapshots are ignored, so 1 or 13 snapshots give the same day (ADR-05). The regime is
  the last snapshot of the day that carries one (the trading job's, ADR-04), else the previous row's.
* Without a snapshot but with a row already stored for that day (seeded from a backtest, or finalised before):
  that row's end of day is **kept** (equity, positions, regime and the trades it counted) — re-running a date
  never overwrites history for which there is no new evidence; only its KPIs are re-chained.
* Without a snapshot or a stored row but with history: the previous row's positions are **marked to this day's
  closes**
  (``cash_prev + Σ qty × close_D``; same cash, same quantities, regime carried forward) — a day the platform
  was down still gets its market move. A missing close is an error for that strategy (``DataMissing``).
* Without either: nothing to finalise (``None``).

Baseline (``baseline_day_values``): buy-and-hold of ``symbol`` — ``qty = capital / close_start`` bought on the
baseline's first day at that day's close (fractional shares, no costs), equity ``qty × close_D`` (so equity is
``capital × close_D / close_start``). One series per (symbol, mode), shared by every strategy using that symbol;
its capital and start are those of the strategy that started it (its first day). ``qty`` is kept in the
row's ``positions`` and carried from row to row, so a rebuild and a day-by-day run give identical values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from jutsu.conf.resolver import resolve_value
from jutsu.scheduler import calendar
from performance.models import DailyPerformance, PerformanceSnapshot
from performance.services.inputs import Closes, close_on
from performance.services.kpis import DayValues, EntityKey, money, regime_from, row_build, row_equity, trades_of_day
from strategies.engine.kpi import KpiState
from strategies.models import Strategy


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def strategy_day_values(
    day: date,
    snapshots: Sequence[PerformanceSnapshot],
    previous: DailyPerformance | None,
    closes: Closes,
    trades: Sequence[float] = (),
    *,
    stored: DailyPerformance | None = None,
    stored_previous: DailyPerformance | None = None,
) -> DayValues | None:
    """End of ``day`` for one strategy in one mode (see the module docstring). ``snapshots`` are that day's
    snapshots in any order; ``previous`` is the entity's previous row (saved or just built); ``stored`` the row
    already stored for ``day`` and ``stored_previous`` the stored row before it (for the trades it counted)."""
    if snapshots:
        last = max(snapshots, key=lambda s: (s.timestamp, s.id or 0))
        with_regime = [s for s in snapshots if s.strategy_cell is not None]
        regime_source = max(with_regime, key=lambda s: (s.timestamp, s.id or 0)) if with_regime else previous
        return DayValues(
            equity=float(last.total_equity),
            cash=last.cash,
            positions_value=last.positions_value,
            positions=last.positions or {},
            regime=regime_from(regime_source),
            trades=list(trades),
        )
    if stored is not None:
        return DayValues(
            equity=row_equity(stored),
            cash=stored.cash,
            positions_value=stored.positions_value,
            positions=stored.positions or {},
            regime=regime_from(stored),
            trades=trades_of_day(stored, stored_previous),
        )
    if previous is None:
        return None
    cash = _decimal(previous.cash)
    positions: dict[str, Any] = {}
    positions_value = Decimal(0)
    for symbol, held in sorted((previous.positions or {}).items()):
        qty = _decimal(held["qty"] if isinstance(held, dict) else held)
        if qty == 0:
            continue
        value = money(qty * Decimal(repr(close_on(closes, symbol, day))))
        positions[symbol] = {"qty": _json_number(qty), "value": str(value)}
        positions_value += value
    equity = cash + positions_value
    return DayValues(
        equity=float(equity),
        cash=cash,
        positions_value=positions_value,
        positions=positions,
        regime=regime_from(previous),
        trades=list(trades),
    )


def strategy_row(
    key: EntityKey,
    strategy: Strategy,
    day: date,
    values: DayValues,
    previous: DailyPerformance | None,
    *,
    risk_free_rate: float,
    finalized_at: datetime,
) -> tuple[DailyPerformance, KpiState]:
    """The strategy's unsaved row for ``day`` continuing ``previous`` (its row before ``day``, ``None`` on its
    first day, which starts from the strategy's initial capital)."""
    return row_build(
        key,
        day,
        values,
        previous.kpi_state if previous else None,
        risk_free_rate=risk_free_rate,
        baseline_symbol=(strategy.baseline_symbol or "").upper(),
        initial_capital=previous.initial_capital if previous else strategy.initial_capital,
        finalized_at=finalized_at,
    )


def in_execution_order(pairs: Iterable[tuple[str, str]], strategies: Mapping[str, Strategy]) -> list[tuple[str, str]]:
    """(strategy_id, mode) pairs in the strategies' execution order, then by id and mode."""
    return sorted(pairs, key=lambda pair: (strategies[pair[0]].execution_order, pair[0], pair[1]))


def baseline_day_values(
    symbol: str, day: date, previous: DailyPerformance | None, closes: Closes, capital: Decimal
) -> DayValues:
    """Buy-and-hold of ``symbol`` on ``day`` (see the module docstring); ``capital`` is used on the first day."""
    close = close_on(closes, symbol, day)
    qty = float(previous.positions[symbol]["qty"]) if previous is not None else float(capital) / close
    equity = qty * close
    return DayValues(
        equity=equity,
        cash=Decimal(0),
        positions_value=money(equity),
        positions={symbol: {"qty": qty, "value": equity}},
    )


def position_symbols(*sources: Any) -> set[str]:
    """Symbols held in rows' or snapshots' ``positions``."""
    out: set[str] = set()
    for source in sources:
        positions = getattr(source, "positions", None) or {}
        out.update(symbol.upper() for symbol in positions)
    return out


def _json_number(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of a New York calendar date as aware datetimes (snapshots of that trading day)."""
    start = datetime.combine(day, time(0), tzinfo=calendar.NEW_YORK)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.NEW_YORK)
    return start, end


def baseline_rows(
    key: EntityKey,
    days: list[date],
    previous: DailyPerformance | None,
    existing: list[DailyPerformance],
    closes,
    *,
    capital: Decimal,
    finalized_at: datetime,
    skip_missing: bool = False,
) -> list[DailyPerformance]:
    """The baseline's rows for ``days`` plus every existing row after the first of them, rebuilt in order.

    The baseline is re-marked from closes (not only its KPIs) so a change of its first day re-anchors every
    later row. ``previous`` (the row before ``days[0]``) anchors the quantity; without it ``capital`` buys
    at the first day's close. With ``skip_missing`` a day without a close is left out (backfill); otherwise it
    raises ``DataMissing``. Unsaved rows, ascending.
    """
    first = min(days)
    all_days = sorted(set(days) | {r.trading_date for r in existing if r.trading_date >= first})
    state = previous.kpi_state if previous else None
    prev = previous
    rows = []
    rate = resolve_value("performance.risk_free_rate")
    for when in all_days:
        try:
            values = baseline_day_values(key.entity_id, when, prev, closes, capital)
        except Exception:
            if skip_missing:
                continue
            raise
        row, state = row_build(
            key,
            when,
            values,
            state,
            risk_free_rate=rate,
            baseline_symbol=key.entity_id,
            initial_capital=prev.initial_capital if prev else capital,
            finalized_at=finalized_at,
        )
        rows.append(row)
        prev = row
    return rows
