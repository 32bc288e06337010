"""Writing configuration overrides: validated, audited, history kept, at most one active per scope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jutsu.conf.parameters import Parameter, get_parameter
from jutsu.errors import ConfigError, InvalidParameter, NotFound
from jutsu.models import ConfigOverride, SecurityEventType
from jutsu.security import security_event_record

# Apps owning further overridable parameters (e.g. strategy parameters) register a lookup that
# returns the Parameter for (name, strategy_id) or None when the name is not theirs.
ParameterLookup = Callable[[str, str], Parameter | None]
_parameter_lookups: list[ParameterLookup] = []
# Called after commit with the parameter name whenever an override changes (schedules re-sync).
_change_listeners: list[Callable[[str], None]] = []


def register_parameter_lookup(lookup: ParameterLookup) -> None:
    """Let an app validate override names it owns (first lookup returning a Parameter wins)."""
    if lookup not in _parameter_lookups:
        _parameter_lookups.append(lookup)


def register_change_listener(listener: Callable[[str], None]) -> None:
    """Run ``listener(parameter)`` after every committed override change."""
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def _parameter_for(name: str, strategy_id: str) -> Parameter:
    for lookup in _parameter_lookups:
        found = lookup(name, strategy_id)
        if found is not None:
            return found
    parameter = get_parameter(name)
    if not parameter.overridable:
        raise ConfigError("cannot be overridden at runtime; set it in the environment or YAML", key=name)
    return parameter


def _notify(parameter: str) -> None:
    for listener in _change_listeners:
        transaction.on_commit(lambda listener=listener: listener(parameter), robust=True)


def _expiry_queue(expires_at: datetime) -> None:
    """Expire the override when its time comes (a task due at ``expires_at``; beat's safety net backs it up)."""
    from jutsu.tasks import config_overrides_expire_task

    config_overrides_expire_task.apply_async(eta=expires_at, queue="housekeeping")


def config_override_check(
    *, parameter: str, value: Any, reason: str, strategy_id: str = "", expires_at: datetime | None = None
) -> tuple[Parameter, Any]:
    """Validate an override request; returns the parameter definition and the typed value."""
    try:
        definition = _parameter_for(parameter, strategy_id)
        typed = definition.parse(value, source="value")
    except ConfigError as exc:
        raise InvalidParameter(exc.message) from None
    if not reason or not reason.strip():
        raise InvalidParameter("reason: say why this override is needed")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidParameter("expires_at: must be in the future")
    return definition, typed


def config_override_set(
    *,
    parameter: str,
    value: Any,
    reason: str,
    user=None,
    strategy_id: str = "",
    expires_at: datetime | None = None,
    request=None,
) -> ConfigOverride:
    """Create the active override for (parameter, strategy), replacing any previous one."""
    definition, typed = config_override_check(
        parameter=parameter, value=value, reason=reason, strategy_id=strategy_id, expires_at=expires_at
    )
    now = timezone.now()

    with transaction.atomic():
        previous = (
            ConfigOverride.objects.select_for_update()
            .filter(parameter=parameter, strategy_id=strategy_id, is_active=True)
            .first()
        )
        if previous is not None:
            _deactivate(previous, user=user, reason="replaced", at=now)
        override = ConfigOverride(
            parameter=parameter,
            strategy_id=strategy_id,
            value=definition.to_text(typed),
            value_type=definition.kind.__name__,
            reason=reason.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
            created_at=now,
            expires_at=expires_at,
        )
        override._history_user = override.created_by
        override.save()
        security_event_record(
            SecurityEventType.CONFIG_OVERRIDE_CHANGED,
            user=user,
            request=request,
            details={
                "action": "set",
                "parameter": parameter,
                "strategy_id": strategy_id,
                "old_value": previous.value if previous else None,
                "new_value": override.value,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "reason": override.reason,
                "override_id": override.pk,
            },
        )
        _notify(parameter)
        if expires_at is not None:
            transaction.on_commit(lambda: _expiry_queue(expires_at), robust=True)
    return override


def _deactivate(override: ConfigOverride, *, user, reason: str, at: datetime) -> None:
    override.is_active = False
    override.deactivated_at = at
    override.deactivated_by = user if getattr(user, "is_authenticated", False) else None
    override.deactivation_reason = reason[:200]
    override._history_user = override.deactivated_by
    override.save()


def config_override_deactivate(*, override_id: int, user=None, reason: str = "reset", request=None) -> ConfigOverride:
    """Deactivate one override (the parameter falls back to YAML or its default)."""
    with transaction.atomic():
        override = ConfigOverride.objects.select_for_update().filter(pk=override_id).first()
        if override is None:
            raise NotFound(f"config override {override_id} does not exist")
        if not override.is_active:
            return override
        _deactivate(override, user=user, reason=reason, at=timezone.now())
        security_event_record(
            SecurityEventType.CONFIG_OVERRIDE_CHANGED,
            user=user,
            request=request,
            details={
                "action": "deactivate",
                "parameter": override.parameter,
                "strategy_id": override.strategy_id,
                "old_value": override.value,
                "new_value": None,
                "reason": reason,
                "override_id": override.pk,
            },
        )
        _notify(override.parameter)
    return override


def config_override_reset(*, parameter: str, strategy_id: str = "", user=None, request=None) -> int:
    """Deactivate the active override of (parameter, strategy); returns how many were deactivated."""
    ids = list(
        ConfigOverride.objects.filter(parameter=parameter, strategy_id=strategy_id, is_active=True).values_list(
            "pk", flat=True
        )
    )
    for override_id in ids:
        config_override_deactivate(override_id=override_id, user=user, reason="reset", request=request)
    return len(ids)


def config_overrides_expire(*, at: datetime | None = None) -> list[ConfigOverride]:
    """Deactivate every active override whose expiry has passed; each one is audited and its change listeners
    (the beat schedule re-sync) run. Called by the task queued at each expiry, by beat's periodic safety net
    and by the daily housekeeping."""
    at = at or timezone.now()
    expired: list[ConfigOverride] = []
    for override in ConfigOverride.objects.filter(is_active=True, expires_at__lte=at):
        with transaction.atomic():
            _deactivate(override, user=None, reason="expired", at=at)
            security_event_record(
                SecurityEventType.CONFIG_OVERRIDE_CHANGED,
                username="system",
                details={
                    "action": "expire",
                    "parameter": override.parameter,
                    "strategy_id": override.strategy_id,
                    "old_value": override.value,
                    "new_value": None,
                    "override_id": override.pk,
                },
            )
            _notify(override.parameter)
        expired.append(override)
    return expired
