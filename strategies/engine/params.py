"""Declarative, validated strategy parameters.

A strategy lists :class:`Param` specs; :func:`validate_params` merges user values over the defaults,
coerces text from YAML/CLI (``"40"`` → 40, ``"true"`` → True), checks ranges and choices, and
rejects unknown keys with a "did you mean" hint. Every failure is a
:class:`~strategies.engine.errors.StrategyParameterError` naming the key.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import StrategyParameterError

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_TYPE_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


@dataclass(frozen=True)
class Param:
    """One parameter: name, type (int, float, bool or str), default and optional bounds/choices."""

    name: str
    type: type
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in _TYPE_NAMES:
            raise TypeError(f"Param {self.name}: unsupported type {self.type!r}")
        # defaults must satisfy their own spec (a programming error otherwise)
        self.clean(self.default)

    def clean(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise StrategyParameterError."""
        value = self._coerce(value)
        if self.choices is not None and value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            raise StrategyParameterError(self.name, f"{value!r} is not one of {options}")
        if self.min is not None and value < self.min:
            raise StrategyParameterError(self.name, f"{value!r} is below the minimum {self.min!r}")
        if self.max is not None and value > self.max:
            raise StrategyParameterError(self.name, f"{value!r} is above the maximum {self.max!r}")
        return value

    def _coerce(self, value: Any) -> Any:
        expected = _TYPE_NAMES[self.type]
        fail = StrategyParameterError(self.name, f"expected {expected}, got {value!r}")
        if self.type is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise fail
        if self.type is str:
            if isinstance(value, str) and value:
                return value
            raise fail
        if isinstance(value, bool):
            raise fail
        if isinstance(value, str):
            try:
                value = float(value.strip()) if self.type is float else int(value.strip())
            except ValueError:
                raise fail
        if self.type is int:
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, int | np.integer):
                return int(value)
            raise fail
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise fail
        if not math.isfinite(out):
            raise StrategyParameterError(self.name, f"must be finite, got {value!r}")
        return out

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description (for forms, the API and documentation)."""
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) if self.choices is not None else None,
            "description": self.description,
        }


def validate_params(specs: Iterable[Param], values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with ``values``, each coerced and checked; unknown keys are an error."""
    by_name = {spec.name: spec for spec in specs}
    values = dict(values or {})
    for key in values:
        if key not in by_name:
            hint = difflib.get_close_matches(str(key), list(by_name), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise StrategyParameterError(str(key), f"unknown parameter{suggestion}")
    return {name: spec.clean(values[name]) if name in values else spec.default for name, spec in by_name.items()}
