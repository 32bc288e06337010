"""Effective runtime values: environment → active unexpired override → YAML → code default.

``resolve("trading.execution_time")`` returns the value and where it came from; everything that
reads a runtime parameter goes through here so the dashboard, the API and the jobs agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from jutsu.conf.parameters import PARAMETERS, get_parameter
from jutsu.conf.yaml_config import YamlLayer

ENV, OVERRIDE, YAML, DEFAULT = "env", "override", "yaml", "default"

_yaml_layers: dict[str, YamlLayer] = {}


@dataclass(frozen=True)
class Effective:
    """A resolved parameter: its typed value, the layer it came from, and a pointer into that layer."""

    name: str
    value: Any
    source: str
    origin: str = ""
    override_id: int | None = None
    strategy_id: str = ""
    expires_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        parameter = PARAMETERS[self.name]
        return {
            "name": self.name,
            "value": parameter.to_text(self.value) if parameter.kind.__name__ == "Decimal" else self.value,
            "source": self.source,
            "origin": self.origin,
            "override_id": self.override_id,
            "strategy_id": self.strategy_id,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "description": parameter.description,
        }


def yaml_layer() -> YamlLayer:
    """The YAML layer of ``settings.JUTSU_CONFIG_DIR`` (cached; files are re-read when they change)."""
    directory = str(settings.JUTSU_CONFIG_DIR)
    layer = _yaml_layers.get(directory)
    if layer is None:
        from pathlib import Path

        layer = _yaml_layers[directory] = YamlLayer(Path(directory))
    return layer


def resolve(
    name: str,
    *,
    strategy_id: str = "",
    at: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> Effective:
    """Resolve one parameter. A strategy-specific override beats a global one."""
    parameter = get_parameter(name)
    env = os.environ if environ is None else environ

    if parameter.env_var and env.get(parameter.env_var, "").strip():
        value = parameter.parse(env[parameter.env_var], source=f"environment variable {parameter.env_var}")
        return Effective(name, value, ENV, origin=parameter.env_var)

    if parameter.overridable:
        override = _override_in_force(name, strategy_id, at)
        if override is not None:
            return Effective(
                name,
                parameter.parse(override.value, source=f"override #{override.pk}"),
                OVERRIDE,
                origin=f"override #{override.pk}",
                override_id=override.pk,
                strategy_id=override.strategy_id,
                expires_at=override.expires_at,
            )

    layer = yaml_layer()
    values = layer.load()
    if name in values:
        return Effective(name, values[name], YAML, origin=layer.origin(name) or "")

    return Effective(name, parameter.default, DEFAULT, origin="code default")


def resolve_value(name: str, *, strategy_id: str = "") -> Any:
    """Shortcut for ``resolve(name).value``."""
    return resolve(name, strategy_id=strategy_id).value


def resolve_all(*, strategy_id: str = "", at: datetime | None = None) -> list[Effective]:
    """Every catalogue parameter with its effective value and source."""
    return [resolve(name, strategy_id=strategy_id, at=at) for name in sorted(PARAMETERS)]


def _override_in_force(name: str, strategy_id: str, at: datetime | None):
    from jutsu.models import ConfigOverride

    scopes = [strategy_id, ""] if strategy_id else [""]
    candidates = {
        o.strategy_id: o for o in ConfigOverride.objects.in_force(at).filter(parameter=name, strategy_id__in=scopes)
    }
    for scope in scopes:
        if scope in candidates:
            return candidates[scope]
    return None
