"""Post-close validation: was the morning's decision the one the day's final bars make?

A strategy that traded before the close decided on a synthetic bar (the price at its execution moment). After
the close and the day's data sync, its decision is re-run on the final bars — the same engine entry
(``strategies.engine.decide``), the same account start S, parameters, costs and capital as the trading run —
and the morning's ``RegimeState`` is graded:

* **GREEN** — same target weights;
* **YELLOW** — same cell, the weights differ (e.g. a volatility-scaled weight moved with the close);
* **RED** — a different cell: the position follows a regime the close does not confirm (notified).

A strategy that traded **at the close** already decided on the day's final bar: it is GREEN by construction
and is stamped so without recomputing. The grade, the final cell and target weights and ``validated_at`` are
stored on the day's ``RegimeState`` — the only regime fields not written by the trading job. Validation never
trades.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction

from jutsu.errors import DataMissing
from jutsu.scheduler import calendar
from strategies.bars import bars_check_required, bars_read, bars_window, strategy_symbols, warmup_bars
from strategies.engine import AccountState, decide
from strategies.selectors import strategy_get
from strategies.services.backtests import BacktestRequest, backtest_check
from trading.models import Grade, RegimeState
from trading.notify import notify_validation_red
from trading.selectors import account_get, positions_held

logger = logging.getLogger(__name__)

#: Two target weights are the same when they differ by less than this (weights are fractions of equity).
WEIGHT_TOLERANCE = 1e-9


def _weights(raw: dict[str, Any] | None) -> dict[str, float]:
    return {str(k): float(v) for k, v in (raw or {}).items() if v is not None and abs(float(v)) > WEIGHT_TOLERANCE}


def grade_of(*, morning_cell: int | None, morning: dict | None, final_cell: int | None, final: dict | None) -> str:
    """GREEN (same targets), YELLOW (same cell, weights differ) or RED (different cell)."""
    if morning_cell != final_cell:
        return Grade.RED
    a, b = _weights(morning), _weights(final)
    same = set(a) == set(b) and all(abs(a[s] - b[s]) <= WEIGHT_TOLERANCE for s in a)
    return Grade.GREEN if same else Grade.YELLOW


@dataclass(frozen=True)
class FinalDecision:
    cell: int | None
    target_weights: dict[str, float]
    context: dict[str, Any]


def final_decision(*, strategy_id: str, mode: str, day: date) -> FinalDecision:
    """The strategy's decision on ``day`` from the stored (final) bars, for its account in ``mode``.

    Raises ``DataMissing`` when a required symbol has no stored bar of ``day`` yet (the sync has not run).
    """
    account = account_get(strategy_id, mode)
    if account is None:
        raise DataMissing(f"{strategy_id} has no {mode} account")
    request = BacktestRequest(strategy_id, account.started_on, day, initial_capital=account.initial_capital)
    _, engine, config = backtest_check(request)
    symbols = strategy_symbols(engine, config.baseline_symbol)
    warmup = warmup_bars(engine)
    frames = bars_read(symbols, account.started_on, day, warmup_bars=warmup)
    missing = [s for s in engine.required_symbols if not len(frames.get(s, ())) or frames[s].index[-1] != day]
    if missing:
        raise DataMissing(f"no final bar of {day} for {', '.join(missing)} yet (market_data_sync runs after the close)")
    data = bars_window(frames, symbols, account.started_on, day, warmup=warmup)
    bars_check_required(engine, data, account.started_on, day)
    held = positions_held(strategy_id, mode)
    state = AccountState(cash=account.cash, positions={s: int(p.quantity) for s, p in held.items()})
    decision = decide(engine, data, config, account=state)
    regime = decision.regime or {}
    weights = regime.get("target_weights") or decision.context.get("target_weights") or {}
    return FinalDecision(regime.get("cell", decision.context.get("cell")), _weights(weights), decision.context)


@dataclass
class ValidationSummary:
    trading_date: date
    graded: dict[str, str] = field(default_factory=dict)  # "v3_5b/paper" → grade
    failed: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = ", ".join(f"{key} {grade}" for key, grade in self.graded.items()) or "nothing to validate"
        return text + (f"; not validated: {'; '.join(self.failed)}" if self.failed else "")


def _regime_summary(cell: int | None, row: RegimeState | None, targets: dict) -> dict[str, Any]:
    summary: dict[str, Any] = {"cell": cell, "targets": targets}
    if row is not None:
        summary.update(trend_state=row.trend_state, vol_state=row.vol_state, t_norm=row.t_norm, z_score=row.z_score)
    return summary


def regime_state_validate(state: RegimeState, *, at: datetime) -> str:
    """Grade one day's regime row (see the module docstring) and store the grade; returns it."""
    session = calendar.session(state.trading_date)
    if session is not None and state.decided_at >= session.close:
        final = FinalDecision(state.strategy_cell, _weights(state.target_weights), {})
        grade = Grade.GREEN  # decided on the day's final bar: nothing to recompute
    else:
        final = final_decision(strategy_id=state.strategy_id, mode=state.mode, day=state.trading_date)
        grade = grade_of(
            morning_cell=state.strategy_cell,
            morning=state.target_weights,
            final_cell=final.cell,
            final=final.target_weights,
        )
    with transaction.atomic():
        RegimeState.objects.filter(pk=state.pk).update(
            grade=grade, final_cell=final.cell, final_target_weights=final.target_weights, validated_at=at
        )
        if grade == Grade.RED:
            notify_validation_red(
                strategy_id=state.strategy_id,
                mode=state.mode,
                trading_date=state.trading_date,
                morning=_regime_summary(state.strategy_cell, state, _weights(state.target_weights)),
                final={"cell": final.cell, "targets": final.target_weights, **_final_context(final.context)},
            )
    return grade


def _final_context(context: dict[str, Any]) -> dict[str, Any]:
    keys = ("trend_state", "vol_state")
    return {k: context[k] for k in keys if context.get(k)}


def regime_states_validate(*, day: date, at: datetime) -> ValidationSummary:
    """Grade every regime row of ``day`` (each strategy and mode that traded); one failing row never stops the
    others. Rows already graded are graded again (idempotent: same bars, same grade)."""
    summary = ValidationSummary(day)
    for state in RegimeState.objects.filter(trading_date=day).order_by("strategy_id", "mode"):
        key = f"{state.strategy_id}/{state.mode}"
        try:
            strategy_get(state.strategy_id)
            summary.graded[key] = regime_state_validate(state, at=at)
        except Exception as exc:  # isolation: report it, grade the others
            logger.warning("post-close validation of %s on %s failed: %s", key, day, exc)
            summary.failed.append(f"{key}: {exc}")
    return summary
