"""Building ``DailyPerformance`` rows: one day's end-of-day values + the previous row's KPI state → a row.

Pure functions over plain values (no queries): the EOD job, the backfill and the backtest seeding all build
their rows here, so rebuilding a range gives exactly the rows that day-by-day finalisation gives.

* The day's return is computed from equity by :func:`strategies.engine.kpi.kpi_update` — never taken from
  a snapshot — so the number of snapshots in a day cannot change it (the Sharpe −4.06 incident, ADR-05).
* The KPI inputs are exact floats: the end-of-day equity as a float (from the snapshot's ``Decimal`` or the
  backtest's ``Decimal`` string) and, when a chain is recomputed, the ``last_equity`` kept in each row's
  ``kpi_state`` (floats survive the JSON round trip exactly). ``total_equity`` is the same value rounded to
  six decimals for display.
* The risk-free rate belongs to a chain: a new chain takes ``performance.risk_free_rate`` (or the backtest's
  rate), and every later day continues with the rate stored in the previous row's state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from performance.models import DailyPerformance, EntityType
from strategies.engine.kpi import KpiState, kpi_update

SIX_PLACES = Decimal("0.000001")
REGIME_FIELDS = ("strategy_cell", "trend_state", "vol_state", "t_norm", "z_score", "sma_fast", "sma_slow")


def money(value: Any) -> Decimal:
    """``Decimal`` rounded to the storage's six places (floats via their shortest repr)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return number.quantize(SIX_PLACES)


def finite_or_none(value: float | None) -> float | None:
    """Refuse to store NaN or infinity: undefined is ``None``."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass
class DayValues:
    """An entity's end of day. ``equity`` is the exact float fed to the KPIs; money fields are for storage.

    ``trades`` are the P&Ls of trades closed that day; ``regime`` the strategy state (``REGIME_FIELDS``, empty
    for baselines).
    """

    equity: float
    cash: Decimal
    positions_value: Decimal
    positions: dict[str, Any] = field(default_factory=dict)
    regime: dict[str, Any] = field(default_factory=dict)
    trades: Sequence[float] = ()


@dataclass(frozen=True)
class EntityKey:
    entity_type: str
    entity_id: str
    mode: str


def regime_from(source: Any) -> dict[str, Any]:
    """The regime fields of a snapshot, a row or a backtest regime dict (``cell`` → ``strategy_cell``)."""
    if source is None:
        return {}
    get = source.get if isinstance(source, dict) else (lambda name, default=None: getattr(source, name, default))
    out = {}
    for name in REGIME_FIELDS:
        value = get(name, None)
        if value is None and name == "strategy_cell":
            value = get("cell", None)
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out[name] = value
    if out["strategy_cell"] is not None:
        out["strategy_cell"] = int(out["strategy_cell"])
    for name in ("trend_state", "vol_state"):
        out[name] = "" if out[name] is None else str(out[name])
    return out


def row_build(
    key: EntityKey,
    day: date,
    values: DayValues,
    previous_state: KpiState | dict | None,
    *,
    risk_free_rate: float,
    baseline_symbol: str,
    initial_capital: Decimal,
    finalized_at: datetime,
) -> tuple[DailyPerformance, KpiState]:
    """An unsaved row for ``day`` continuing ``previous_state`` (``None``: the entity's first day, whose
    ``initial_capital`` becomes the base of cumulative return and CAGR — the analyzer's convention).

    The rate used is the previous state's when there is one (a chain keeps its rate), else ``risk_free_rate``.
    Raises ``ValueError`` for a non-positive equity or a day not after the previous state's.
    """
    if previous_state is not None and not isinstance(previous_state, KpiState):
        previous_state = KpiState.from_dict(previous_state)
    rate = previous_state.risk_free_rate if previous_state is not None else risk_free_rate
    state, kpis = kpi_update(
        previous_state,
        day,
        values.equity,
        trades_closed=values.trades,
        initial_capital=initial_capital,  # the base of returns and CAGR from the first day on
        risk_free_rate=rate,
    )
    regime = values.regime if key.entity_type == EntityType.STRATEGY else {}
    row = DailyPerformance(
        trading_date=day,
        entity_type=key.entity_type,
        entity_id=key.entity_id,
        mode=key.mode,
        total_equity=money(values.equity),
        cash=money(values.cash),
        positions_value=money(values.positions_value),
        positions=values.positions,
        baseline_symbol=baseline_symbol or "",
        initial_capital=money(initial_capital),
        finalized_at=finalized_at,
        **{name: regime.get(name, "" if name in ("trend_state", "vol_state") else None) for name in REGIME_FIELDS},
    )
    kpis_apply(row, kpis, state)
    return row, state


def kpis_apply(row: DailyPerformance, kpis: Any, state: KpiState) -> None:
    """Copy one day's :class:`~strategies.engine.kpi.DailyKpis` and the next state onto ``row``."""
    row.daily_return = kpis.daily_return
    row.cumulative_return = kpis.cumulative_return
    row.drawdown = min(kpis.drawdown, 0.0)
    row.high_water_mark = money(kpis.high_water_mark)
    row.max_drawdown = min(kpis.max_drawdown, 0.0)
    row.volatility = finite_or_none(kpis.volatility)
    row.sharpe_ratio = finite_or_none(kpis.sharpe)
    row.sortino_ratio = finite_or_none(kpis.sortino)
    row.calmar_ratio = finite_or_none(kpis.calmar)
    row.cagr = finite_or_none(kpis.cagr)
    row.total_trades = kpis.total_trades
    row.winning_trades = kpis.winning_trades
    row.losing_trades = kpis.losing_trades
    row.win_rate = finite_or_none(kpis.win_rate)
    row.trading_days_count = kpis.trading_days_count
    row.days_since_previous = kpis.days_since_previous
    row.is_first_day = kpis.is_first_day
    row.kpi_state = state_dict(state)


_STATE_FIELDS = tuple(f.name for f in fields(KpiState))


def state_dict(state: KpiState) -> dict[str, Any]:
    """``state.to_dict()`` without ``dataclasses.asdict``'s deep copies (3× faster; same output, tested).

    The state holds only dates, ints and finite floats, so dates → ISO strings is the whole conversion.
    """
    out = {}
    for name in _STATE_FIELDS:
        value = getattr(state, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def row_equity(row: DailyPerformance) -> float:
    """The exact float equity a row's KPIs were computed from (its state's ``last_equity``)."""
    state = row.kpi_state or {}
    if state.get("last_date") == row.trading_date.isoformat() and state.get("last_equity") is not None:
        return float(state["last_equity"])
    return float(row.total_equity)


def trades_of_day(row: DailyPerformance, previous: DailyPerformance | None) -> list[float]:
    """Stand-in P&Ls (+1 win, −1 loss, 0 break-even) for the trades a row counted on its own day.

    The rows keep cumulative counters only; the counters are all that the KPIs use, so signs suffice to
    replay a day when its KPI chain is recomputed.
    """
    total = row.total_trades - (previous.total_trades if previous else 0)
    wins = row.winning_trades - (previous.winning_trades if previous else 0)
    losses = row.losing_trades - (previous.losing_trades if previous else 0)
    if min(total, wins, losses) < 0 or wins + losses > total:
        raise ValueError(
            f"{row.entity_type}:{row.entity_id}/{row.mode} {row.trading_date}: trade counters go backwards; "
            "rebuild this entity with backfill_daily_performance"
        )
    return [1.0] * wins + [-1.0] * losses + [0.0] * (total - wins - losses)


def chain_recompute(
    later: Iterable[DailyPerformance],
    old_previous: DailyPerformance | None,
    state: KpiState | None,
) -> list[DailyPerformance]:
    """Recompute the KPIs of ``later`` rows (ascending, already saved) so they continue ``state``.

    Used when a day is inserted or replaced before existing rows (a missed day recovered later, a re-run):
    each later row keeps its equity, positions and regime; its return, drawdowns, ratios and counters are
    replayed from the new chain. ``old_previous`` is the row that preceded the first of ``later`` *before*
    the change (for the per-day trade counts). Returns the changed rows (for ``bulk_update``).
    """
    out = []
    for row in later:
        trades = trades_of_day(row, old_previous)
        old_previous = DailyPerformance(
            total_trades=row.total_trades, winning_trades=row.winning_trades, losing_trades=row.losing_trades
        )
        rate = state.risk_free_rate if state is not None else KpiState.from_dict(row.kpi_state).risk_free_rate
        state, kpis = kpi_update(
            state,
            row.trading_date,
            row_equity(row),
            trades_closed=trades,
            initial_capital=row.initial_capital,  # used only when ``row`` becomes the first day
            risk_free_rate=rate,
        )
        kpis_apply(row, kpis, state)
        out.append(row)
    return out
