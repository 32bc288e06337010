"""Reads that compose what the status API and pages show: each strategy's engine-level state and the platform
status (engine, schedule, data freshness, last trading run, broker token). Selectors: no writes.

A strategy's state is read in the mode it trades in now — the engine's mode, or ``paper`` for a
``paper_trading`` strategy while the engine is ``online_live`` (``trading.runner.runner.strategy_mode``) —
unless the caller names a mode.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from strategies.models import Strategy
from trading.models import Position, RegimeState, StrategyRunResult, TradingAccount
from trading.runner.runner import strategy_mode
from trading.selectors import accounts_with_positions, regime_states_latest, strategy_run_results_latest


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def regime_state_data(row: RegimeState | None) -> dict[str, Any] | None:
    """A regime row with its post-close validation as JSON-ready values."""
    if row is None:
        return None
    return {
        "trading_date": row.trading_date.isoformat(),
        "cell": row.strategy_cell,
        "trend_state": row.trend_state,
        "vol_state": row.vol_state,
        "t_norm": row.t_norm,
        "z_score": row.z_score,
        "sma_fast": row.sma_fast,
        "sma_slow": row.sma_slow,
        "bond_trend": row.bond_trend,
        "vol_crush": row.vol_crush,
        "target_weights": row.target_weights,
        "rebalance": row.rebalance,
        "reason": row.reason,
        "decided_at": row.decided_at.isoformat(),
        "validation": {
            "grade": row.grade or None,
            "final_cell": row.final_cell,
            "final_target_weights": row.final_target_weights,
            "validated_at": row.validated_at.isoformat() if row.validated_at else None,
        },
    }


def _account_data(account: TradingAccount | None, positions: list[Position]) -> dict[str, Any] | None:
    if account is None:
        return None
    value = sum((p.market_value for p in positions), Decimal(0))
    return {
        "started_on": account.started_on.isoformat(),
        "initial_capital": _money(account.initial_capital),
        "cash": _money(account.cash),
        "positions_value": _money(value),
        "equity": _money(account.cash + value),
        "last_trading_date": account.last_trading_date.isoformat() if account.last_trading_date else None,
    }


def _position_data(position: Position) -> dict[str, Any]:
    return {
        "symbol": position.symbol,
        "quantity": _money(position.quantity),
        "avg_cost": _money(position.avg_cost),
        "last_price": _money(position.last_price),
        "market_value": _money(position.market_value),
        "unrealized_pnl": _money(position.unrealized_pnl),
        "last_updated": position.last_updated.isoformat(),
    }


def _run_data(result: StrategyRunResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    run = result.trading_run
    return {
        "trading_date": run.trading_date.isoformat(),
        "as_of": run.as_of.isoformat(),
        "run_status": run.status,
        "status": result.status,
        "error": result.error,
        "orders_planned": result.orders_planned,
        "orders_filled": result.orders_filled,
        "duration_seconds": result.duration_seconds,
    }


def strategy_states(rows: list[Strategy], *, engine_mode: str, mode: str | None = None) -> list[dict[str, Any]]:
    """The engine-level state of each strategy in ``rows``: account, positions, latest regime, last run result.

    Four queries whatever the number of strategies.
    """
    pairs = [(row.strategy_id, mode or strategy_mode(row, engine_mode)) for row in rows]
    books = accounts_with_positions(pairs)
    regimes = regime_states_latest(pairs)
    results = strategy_run_results_latest(pairs)
    states = []
    for row, pair in zip(rows, pairs, strict=True):
        account, positions = books[pair]
        states.append(
            {
                "strategy_id": row.strategy_id,
                "display_name": row.display_name,
                "is_primary": row.is_primary,
                "is_active": row.is_active,
                "paper_trading": row.paper_trading,
                "mode": pair[1],
                "account": _account_data(account, positions),
                "positions": [_position_data(p) for p in positions],
                "regime": regime_state_data(regimes.get(pair)),
                "last_run": _run_data(results.get(pair)),
            }
        )
    return states


def platform_status(*, now: datetime) -> dict[str, Any]:
    """Engine, scheduler next runs, data freshness, the last trading run and the Schwab token state."""
    from jutsu.scheduler.schedules import schedule_overview
    from trading.broker.status import schwab_token_status
    from trading.selectors import market_data_freshness, trading_run_latest
    from trading.services.engine import engine_status

    run = trading_run_latest()
    return {
        "time": now.isoformat(),
        "engine": engine_status(now=now),
        "scheduler": {
            "timezone": "America/New_York",
            "jobs": [{k: row[k] for k in ("job", "enabled", "next_run")} for row in schedule_overview()],
        },
        "data_freshness": market_data_freshness(now=now),
        "last_trading_run": None
        if run is None
        else {
            "trading_date": run.trading_date.isoformat(),
            "as_of": run.as_of.isoformat(),
            "mode": run.mode,
            "status": run.status,
            "message": run.message,
            "results": [
                {"strategy_id": r.strategy_id, "mode": r.mode, "status": r.status, "error": r.error}
                for r in run.results.all()
            ],
        },
        "schwab": schwab_token_status(now=now),
    }
