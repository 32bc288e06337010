"""Mirroring the YAML registry into ``Strategy`` rows, and strategy parameters as config overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jutsu.conf.parameters import Parameter
from jutsu.errors import ConfigError
from strategies.engine.errors import StrategyNotFoundError
from strategies.engine.strategy import get_strategy_class
from strategies.models import Strategy
from strategies.registry import StrategyDefinition, load_registry
from strategies.selectors import strategy_get

OVERRIDE_PREFIX = "strategy."
_SYNCED_FIELDS = (
    "display_name",
    "strategy_class",
    "config_file",
    "description",
    "is_primary",
    "is_active",
    "paper_trading",
    "execution_order",
    "parameters",
    "execution",
    "initial_capital",
    "baseline_symbol",
    "source_hash",
)


@dataclass
class SyncSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"strategies: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.retired)} retired"
        )


def _values(definition: StrategyDefinition) -> dict[str, Any]:
    values = {name: getattr(definition, name) for name in _SYNCED_FIELDS}
    values["in_registry"] = True
    return values


def strategies_sync(*, config_dir: Path | None = None) -> SyncSummary:
    """Validate the registry and upsert every strategy; strategies gone from YAML are deactivated."""
    registry = load_registry(Path(config_dir or settings.JUTSU_CONFIG_DIR))
    summary = SyncSummary()
    now = timezone.now()
    with transaction.atomic():
        existing = {s.strategy_id: s for s in Strategy.objects.select_for_update()}
        # Clear primaries first so the "one active primary" constraint holds while rows change.
        wanted_primary = {d.strategy_id for d in registry.strategies if d.is_primary and d.is_active}
        for row in existing.values():
            if row.is_primary and row.strategy_id not in wanted_primary:
                row.is_primary = False
                row.save(update_fields=["is_primary"])
        for definition in registry.strategies:
            values = _values(definition)
            row = existing.pop(definition.strategy_id, None)
            if row is None:
                Strategy.objects.create(strategy_id=definition.strategy_id, synced_at=now, **values)
                summary.created.append(definition.strategy_id)
                continue
            changed = [k for k, v in values.items() if getattr(row, k) != v]
            if changed:
                for key in changed:
                    setattr(row, key, values[key])
                row.synced_at = now
                row.save()
                summary.updated.append(definition.strategy_id)
            else:
                summary.unchanged.append(definition.strategy_id)
        for row in existing.values():
            if row.in_registry or row.is_active:
                row.in_registry = False
                row.is_active = False
                row.is_primary = False
                row.synced_at = now
                row.save()
                summary.retired.append(row.strategy_id)
    return summary


def strategy_parameter_lookup(name: str, strategy_id: str) -> Parameter | None:
    """Override validation for ``strategy.<param>``: the strategy's own parameter spec decides."""
    if not name.startswith(OVERRIDE_PREFIX):
        return None
    if not strategy_id:
        raise ConfigError("strategy parameters need a strategy_id", key=name)
    return _strategy_parameter(strategy_get(strategy_id), name)


def _strategy_parameter(row: Strategy, name: str) -> Parameter:
    """The ``strategy.<param>`` definition from the spec of ``row``'s strategy class."""
    try:
        specs = {spec.name: spec for spec in get_strategy_class(row.strategy_class).param_specs}
    except StrategyNotFoundError as exc:
        raise ConfigError(str(exc), key=name) from None
    param = name.removeprefix(OVERRIDE_PREFIX)
    spec = specs.get(param)
    if spec is None:
        raise ConfigError(f"strategy {row.strategy_id} has no parameter {param!r}", key=name)
    return Parameter(
        name=name,
        kind=spec.type,
        default=spec.default,
        description=spec.description,
        choices=spec.choices,
        minimum=spec.min,
        maximum=spec.max,
    )


def strategy_effective_params(strategy: Strategy) -> dict[str, Any]:
    """YAML parameters with the strategy's active, unexpired ``strategy.*`` overrides applied."""
    from jutsu.models import ConfigOverride

    params = dict(strategy.parameters)
    for override in ConfigOverride.objects.in_force().filter(
        strategy_id=strategy.strategy_id, parameter__startswith=OVERRIDE_PREFIX
    ):
        definition = _strategy_parameter(strategy, override.parameter)
        params[override.parameter.removeprefix(OVERRIDE_PREFIX)] = definition.parse(override.value)
    return params
