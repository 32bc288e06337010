"""The control page (admins): what it shows and the actions it runs.

Every action calls the service the API calls (``trading.services.engine``, ``trading.services.flatten``,
``jutsu.scheduler.schedules``); switching into ``online_live`` passes the same live-switch guard
(``trading.services.live_guard``). When only the second factor's freshness is missing, the page sends the admin
to verify it (``/control/verify/``) and back, instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accounts.selectors import mfa_enrolled, second_factor_verified_within
from jutsu.conf.resolver import resolve
from jutsu.models import JobTrigger
from jutsu.scheduler.schedules import job_trigger, schedule_overview, schedule_set_enabled
from jutsu.selectors import config_overrides_history, job_last_runs, job_runs
from strategies.selectors import strategies_list
from trading.modes import Mode
from trading.pages.common import ny_text
from trading.services.engine import engine_restart, engine_set_mode, engine_start, engine_status, engine_stop
from trading.services.live_guard import CONFIRMATION, FRESH_SECOND_FACTOR, live_switch_check
from trading.state import strategy_states

RECENT_JOB_RUNS = 20


@dataclass(frozen=True)
class ActionOutcome:
    """What the page tells the admin after an action; ``verify`` sends them to re-check their second factor."""

    message: str
    ok: bool = True
    verify: bool = False
    mode: str = ""


def second_factor_fresh(user, *, now: datetime | None = None) -> bool:
    """Whether ``user`` verified a second factor within the live-switch window (5 minutes)."""
    return second_factor_verified_within(user, FRESH_SECOND_FACTOR, now=now)


def control_context(*, user, now: datetime) -> dict[str, Any]:
    """Engine, strategies with their holdings (for the flatten form), scheduler with next and last runs, recent
    job runs and the overrides with their history. A fixed number of queries whatever the history's size."""
    engine = engine_status(now=now)
    rows = list(strategies_list(active_only=True).order_by("execution_order", "strategy_id"))
    last = job_last_runs()
    jobs = [
        {**row, "last_run": last.get(row["job"]), "next_run_text": ny_text(row["next_run"])}
        for row in schedule_overview()
    ]
    times = {key: ny_text(engine[key]) for key in ("started_at", "last_execution_at", "next_execution_at")}
    return {
        "engine": engine,
        "engine_times": times,
        "modes": Mode.choices,
        "strategies": strategy_states(rows, engine_mode=engine["mode"]),
        "jobs": jobs,
        "execution_time": resolve("trading.execution_time").as_dict(),
        "job_runs": list(job_runs()[:RECENT_JOB_RUNS]),
        "overrides": config_overrides_history(),
        "has_second_factor": mfa_enrolled(user),
        "second_factor_fresh": second_factor_fresh(user, now=now),
        "fresh_minutes": int(FRESH_SECOND_FACTOR.total_seconds() // 60),
    }


def _live_guard(request, mode: str | None, confirm: str) -> ActionOutcome | None:
    """The live-switch guard when the action would trade ``online_live``: the typed YES first, then — when the
    admin has a second factor but verified it too long ago — a detour to verify it. ``None``: go ahead."""
    target = mode or engine_status()["mode"]
    if target != Mode.ONLINE_LIVE:
        return None
    if confirm == CONFIRMATION and mfa_enrolled(request.user) and not second_factor_fresh(request.user):
        minutes = int(FRESH_SECOND_FACTOR.total_seconds() // 60)
        return ActionOutcome(
            f"Switching to online_live needs your second factor verified within {minutes} minutes: verify it, "
            "then confirm again.",
            ok=False,
            verify=True,
            mode=Mode.ONLINE_LIVE,
        )
    live_switch_check(user=request.user, confirm=confirm, request=request)  # raises on every other refusal
    return None


def control_action(request, data: dict[str, str]) -> ActionOutcome:
    """Run one control action from the page's POST data; service errors propagate (the view shows them)."""
    from trading.services.flatten import flatten

    action = data.get("action", "")
    user, confirm = request.user, (data.get("confirm") or "").strip()
    mode = data.get("mode") or None
    if action in ("start", "restart", "mode"):
        if action == "mode" and not mode:
            return ActionOutcome("Choose a mode.", ok=False)
        detour = _live_guard(request, mode, confirm)
        if detour is not None:
            return detour
        kwargs = {"user": user, "confirm": confirm or None, "request": request, "actor": "page"}
        if action == "mode":
            engine_set_mode(mode, **kwargs)
        else:
            (engine_restart if action == "restart" else engine_start)(mode=mode, **kwargs)
        status = engine_status()
        return ActionOutcome(f"Engine {status['state']} in {status['mode']} mode.")
    if action == "stop":
        engine_stop(user=user, actor="page")
        return ActionOutcome("Engine stopped: the trading job skips and a run in progress sends no further order.")
    if action == "flatten":
        result = flatten(strategy_id=data.get("strategy_id", ""), mode=mode or "", confirm=confirm, user=user)
        return ActionOutcome(result.line(), ok=not result.report.errors)
    if action in ("enable", "disable"):
        schedule_set_enabled(data.get("job", ""), enabled=action == "enable")
        return ActionOutcome(f"Job {data.get('job')} {action}d.")
    if action == "trigger":
        spec = job_trigger(data.get("job", ""), trigger=JobTrigger.MANUAL)
        return ActionOutcome(f"Job {spec.name} queued; its run appears under recent job runs.")
    return ActionOutcome(f"Unknown action {action!r}.", ok=False)
