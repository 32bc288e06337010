"""What the overview shows of live trading: engine, next runs, data freshness, and per strategy its positions next
to today's target allocation and the regime inputs with their explanations. Reads only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from strategies.models import Strategy
from trading.indicators import DESCRIPTIONS_BY_KEY
from trading.models import EngineState, EngineStatus
from trading.modes import Mode
from trading.pages.common import ny_text
from trading.regime_tree import cell_table
from trading.services.engine import engine_status
from trading.state import strategy_states

NEXT_RUNS_SHOWN = 4


def dashboard_status(*, now: datetime) -> dict[str, Any]:
    """Engine state and mode, the next scheduled runs (soonest first) and the freshness of the signal's bars."""
    from jutsu.scheduler.schedules import schedule_overview
    from trading.selectors import market_data_freshness

    engine = engine_status(now=now) if EngineState.objects.filter(pk=EngineState.SINGLETON_PK).exists() else None
    if engine is None:  # a fresh database: show the defaults without writing the row from a GET
        engine = {"state": EngineStatus.STOPPED, "mode": Mode.PAPER, "next_execution_at": None, "last_error": ""}
    upcoming = sorted((row for row in schedule_overview() if row["next_run"]), key=lambda row: row["next_run"])
    return {
        "engine": engine,
        "next_execution": ny_text(engine["next_execution_at"]),
        "next_runs": [{"job": r["job"], "at": ny_text(r["next_run"])} for r in upcoming[:NEXT_RUNS_SHOWN]],
        "freshness": market_data_freshness(now=now),
    }


def cell_tooltips() -> dict[int, str]:
    """``{cell: "kill zone — BullStrong × Low vol; TQQQ 60%, QQQ 40%"}`` for the overview's cell badges."""
    out = {}
    for info in cell_table():
        weights = ", ".join(f"{leg.split(' ')[0]} {w:.0%}" for leg, w in info["base_weights"].items())
        bonds = " (+ treasury overlay)" if info["treasury_overlay"] else ""
        out[info["cell"]] = f"{info['name']} — {info['trend_state']} × {info['vol_state']} vol; {weights}{bonds}"
    return out


def indicator_tooltips() -> dict[str, str]:
    """``{key: "what it is. how it is used."}`` for the overview's regime inputs."""
    return {key: f"{item['description']} {item['used_for']}" for key, item in DESCRIPTIONS_BY_KEY.items()}


def _holdings(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Each held or targeted symbol: quantity, value, current weight and today's target weight."""
    account = state["account"]
    equity = Decimal(account["equity"]) if account and account["equity"] else Decimal(0)
    targets = (state["regime"] or {}).get("target_weights") or {}
    rows: dict[str, dict[str, Any]] = {}
    for p in state["positions"]:
        value = Decimal(p["market_value"] or 0)
        rows[p["symbol"]] = {
            "symbol": p["symbol"],
            "quantity": p["quantity"],
            "value": p["market_value"],
            "weight": float(value / equity) if equity else None,
            "target": None,
        }
    for symbol, weight in targets.items():
        row = rows.setdefault(symbol, {"symbol": symbol, "quantity": None, "value": None, "weight": None})
        row["target"] = weight
    if account and "CASH" not in rows:
        cash = Decimal(account["cash"])
        rows["CASH"] = {
            "symbol": "CASH",
            "quantity": None,
            "value": account["cash"],
            "weight": float(cash / equity) if equity else None,
            "target": targets.get("CASH"),
        }
    return sorted(rows.values(), key=lambda r: (r["symbol"] == "CASH", -(r["target"] or 0), r["symbol"]))


def strategies_live(rows: list[Strategy], *, mode: str) -> dict[str, dict[str, Any]]:
    """``{strategy_id: {"holdings", "regime", "account", "last_run"}}`` in ``mode`` (four queries for all)."""
    states = strategy_states(rows, engine_mode=mode, mode=mode)
    return {
        s["strategy_id"]: {
            "holdings": _holdings(s),
            "regime": s["regime"],
            "account": s["account"],
            "last_run": s["last_run"],
        }
        for s in states
    }
