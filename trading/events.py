"""Payloads of the trading app's live events (``jutsu.events.publish`` adds ``type``, ``timestamp``, ``version``).

* ``trade_executed`` — one fill with the strategy's context at the decision;
* ``regime_change`` — a strategy's cell differs from its previous trading day's;
* ``error`` — something an operator must see (a strategy not traded and why, a failed run).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jutsu.events import publish


def _num(value: Any) -> str | None:
    return None if value is None else str(value)


def trade_payload(trade) -> dict[str, Any]:
    """A ``LiveTrade`` as JSON-ready values (money as decimal strings)."""
    return {
        "id": trade.pk,
        "strategy_id": trade.strategy_id,
        "mode": trade.mode,
        "symbol": trade.symbol,
        "action": trade.action,
        "quantity": _num(trade.quantity),
        "target_price": _num(trade.target_price),
        "fill_price": _num(trade.fill_price),
        "fill_value": _num(trade.fill_value),
        "commission": _num(trade.commission),
        "slippage_pct": trade.slippage_pct,
        "realized_pnl": _num(trade.realized_pnl),
        "timestamp": trade.timestamp.isoformat(),
        "trading_date": trade.trading_date.isoformat(),
        "reason": trade.reason,
        "broker_order_id": trade.broker_order_id,
        "context": {
            "strategy_cell": trade.strategy_cell,
            "trend_state": trade.trend_state,
            "vol_state": trade.vol_state,
            "t_norm": trade.t_norm,
            "z_score": trade.z_score,
        },
    }


def trade_executed_publish(trade) -> dict[str, Any]:
    """Publish ``trade_executed`` for ``trade`` (after the current transaction commits)."""
    return publish("trade_executed", {"trade": trade_payload(trade)})


def regime_change_publish(
    *, strategy_id: str, mode: str, trading_date: date, old: dict[str, Any] | None, new: dict[str, Any]
) -> dict[str, Any]:
    """Publish ``regime_change``: ``old``/``new`` carry ``cell``, ``trend_state``, ``vol_state``."""
    return publish(
        "regime_change",
        {
            "strategy_id": strategy_id,
            "mode": mode,
            "trading_date": trading_date.isoformat(),
            "old": old,
            "new": new,
        },
    )


def error_publish(
    message: str, *, source: str, strategy_id: str = "", mode: str = "", details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Publish ``error``: ``source`` names what reports it (``daily_trading``, ``flatten`` …)."""
    return publish(
        "error",
        {"source": source, "strategy_id": strategy_id, "mode": mode, "message": message, "details": details or {}},
    )
