"""Engine control: STOPPED → RUNNING → ERROR (and back through stop / start / restart), with the mode.

The engine is one ``EngineState`` row; a fresh database has it ``stopped`` in ``paper``. The trading job trades
only while it is ``running``; ``engine_record_execution`` (called by the job) counts runs, remembers the last
one and puts the engine in ``error`` when the job reports a failed automatic run — that blocks trading until
an operator restarts it.

Switching to ``online_live`` needs the typed confirmation ``YES`` (``confirm="YES"``); every mode change writes
a HIGH ``MODE_CHANGED`` security event. The API/page guard (admin + a second factor verified within the last
five minutes) sits in front of these services; the management command asks for ``--confirm YES``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jutsu.errors import InvalidParameter
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record
from trading.models import EngineState, EngineStatus
from trading.modes import Mode

CONFIRMATION = "YES"


def engine_state_get() -> EngineState:
    """The engine's row (created ``stopped`` in ``paper`` on first use)."""
    state, _ = EngineState.objects.get_or_create(pk=EngineState.SINGLETON_PK)
    return state


def _locked() -> EngineState:
    engine_state_get()
    return EngineState.objects.select_for_update().get(pk=EngineState.SINGLETON_PK)


def _check_mode(mode: str, confirm: str | None) -> None:
    if mode not in Mode.values:
        raise InvalidParameter(f"mode: unknown mode {mode!r}; use one of {', '.join(Mode.values)}")
    if mode == Mode.ONLINE_LIVE and confirm != CONFIRMATION:
        raise InvalidParameter(
            f"switching to online_live trades real money: confirm with {CONFIRMATION!r} (--confirm YES)"
        )


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _mode_changed(old: str, new: str, *, user, request, actor: str) -> None:
    security_event_record(
        SecurityEventType.MODE_CHANGED,
        user=_user(user),
        username="" if _user(user) else actor,
        request=request,
        details={"from": old, "to": new, "actor": actor},
    )


def engine_set_mode(mode: str, *, user=None, confirm: str | None = None, request=None, actor: str = "") -> EngineState:
    """Change the mode without starting or stopping the engine."""
    _check_mode(mode, confirm)
    with transaction.atomic():
        state = _locked()
        old = state.mode
        if old != mode:
            state.mode = mode
            state.updated_by = _user(user)
            state.save()
            _mode_changed(old, mode, user=user, request=request, actor=actor)
    return state


def engine_start(
    *, mode: str | None = None, user=None, confirm: str | None = None, request=None, actor: str = ""
) -> EngineState:
    """Start the engine (in ``mode`` when given, else its current mode); clears a previous error."""
    from trading.runner.schedule import next_execution_at

    with transaction.atomic():
        state = _locked()
        target = mode or state.mode
        _check_mode(target, confirm)  # online_live needs the confirmation on every start
        old = state.mode
        now = timezone.now()
        if state.state != EngineStatus.RUNNING:
            state.started_at = now
        state.state = EngineStatus.RUNNING
        state.mode = target
        state.last_error = ""
        state.next_execution_at = next_execution_at(now)
        state.updated_by = _user(user)
        state.save()
        if old != target:
            _mode_changed(old, target, user=user, request=request, actor=actor)
    return state


def engine_stop(*, user=None, actor: str = "") -> EngineState:
    """Stop the engine: the trading job skips, and a run in progress sends no further order (kill switch)."""
    with transaction.atomic():
        state = _locked()
        state.state = EngineStatus.STOPPED
        state.started_at = None
        state.next_execution_at = None
        state.updated_by = _user(user)
        state.save()
    return state


def engine_restart(
    *, mode: str | None = None, user=None, confirm: str | None = None, request=None, actor: str = ""
) -> EngineState:
    """Stop and start again (the way out of ``error``)."""
    with transaction.atomic():
        engine_stop(user=user, actor=actor)
        return engine_start(mode=mode, user=user, confirm=confirm, request=request, actor=actor)


def engine_running_check() -> str | None:
    """``None`` while the engine is running, else why not (the driver's kill-switch guard)."""
    state = EngineState.objects.filter(pk=EngineState.SINGLETON_PK).values_list("state", "last_error").first()
    if state is None or state[0] == EngineStatus.STOPPED:
        return "engine is stopped"
    if state[0] == EngineStatus.ERROR:
        return f"engine is in error: {state[1]}"[:300]
    return None


def engine_record_execution(*, at: datetime, failed: bool, error: str = "") -> EngineState:
    """Count a trading run; a failed run puts a running engine in ``error`` with its message."""
    from trading.runner.schedule import next_execution_at

    with transaction.atomic():
        state = _locked()
        state.last_execution_at = at
        state.execution_count += 1
        if failed and state.state == EngineStatus.RUNNING:
            state.state = EngineStatus.ERROR
            state.last_error = error[:2000] or "the trading run failed"
        if state.state == EngineStatus.RUNNING:
            state.next_execution_at = next_execution_at(max(at, timezone.now()))
        state.save()
    return state


def engine_status(*, now: datetime | None = None) -> dict[str, Any]:
    """The engine as plain values: state, mode, times, last error, count and uptime (seconds, running only)."""
    state = engine_state_get()
    now = now or timezone.now()
    uptime = (now - state.started_at).total_seconds() if state.started_at and state.state == "running" else None
    return {
        "state": state.state,
        "mode": state.mode,
        "started_at": state.started_at.isoformat() if state.started_at else None,
        "last_execution_at": state.last_execution_at.isoformat() if state.last_execution_at else None,
        "next_execution_at": state.next_execution_at.isoformat() if state.next_execution_at else None,
        "last_error": state.last_error,
        "execution_count": state.execution_count,
        "uptime_seconds": uptime,
        "updated_at": state.updated_at.isoformat() if state.updated_at else None,
    }
