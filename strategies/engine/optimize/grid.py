"""Parameter grids and search spaces, validated against a strategy's ``param_specs``.

A grid maps parameter names to lists of candidate values; its combinations are the Cartesian product
in the order the parameters and values were given. Every value is checked with the parameter's own
:class:`~strategies.engine.params.Param` (type coercion, range, choices), so a grid can never ask for
a backtest the strategy would refuse. Combinations that break a cross-parameter rule of the strategy
(``check_params``, e.g. SMA fast ≥ slow) are left out and reported, not run.

A search space (for Bayesian search) maps names to ranges: ``{low, high[, step][, log]}`` for numbers
or ``{choices: [...]}``.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import StrategyParameterError
from ..params import Param
from ..strategy import Strategy

#: Metrics a run can be ranked by (names of ``PerformanceMetrics``) and whether higher is better.
RANKING_METRICS: dict[str, bool] = {
    "sharpe": True,
    "sortino": True,
    "calmar": True,
    "total_return": True,
    "cagr": True,
    "max_drawdown": True,  # a fraction ≤ 0: closer to 0 is better
    "average_drawdown": True,
    "recovery_factor": True,
    "var_95": True,
    "cvar_95": True,
    "alpha": True,
    "win_rate": True,
    "profit_factor": True,
    "expectancy": True,
    "volatility": False,
    "longest_drawdown_days": False,
}
MAX_COMBINATIONS = 10_000


class GridError(StrategyParameterError):
    """A grid or search space is invalid (message names the parameter and the reason)."""


def _clean(spec: Param, value: Any) -> Any:
    """``spec.clean(value)``, failures raised as :class:`GridError` (same message)."""
    try:
        return spec.clean(value)
    except GridError:
        raise
    except StrategyParameterError as exc:
        error = GridError(exc.key, "")
        error.args = exc.args
        raise error from None


def metric_check(metric: str) -> str:
    """``metric`` if it can rank a run, else :class:`GridError` listing the choices."""
    if metric not in RANKING_METRICS:
        hint = difflib.get_close_matches(metric, list(RANKING_METRICS), n=1)
        more = f"; did you mean '{hint[0]}'?" if hint else f"; one of {', '.join(RANKING_METRICS)}"
        raise GridError("metric", f"{metric!r} cannot rank results{more}")
    return metric


def metric_score(metrics: Mapping[str, Any], metric: str) -> float | None:
    """The metric as a number where higher is better (sign flipped for lower-is-better metrics).

    ``None`` when the metric is undefined for this run (e.g. Sharpe of a flat curve); ``"inf"`` (the JSON
    spelling of an infinite profit factor) counts as +∞.
    """
    value = metrics.get(metric)
    if value is None:
        return None
    number = math.inf if value == "inf" else -math.inf if value == "-inf" else float(value)
    if math.isnan(number):
        return None
    return number if RANKING_METRICS[metric] else -number


def param_key(params: Mapping[str, Any]) -> str:
    """A stable identity of a parameter combination: SHA-1 of its canonical JSON (sorted keys)."""
    text = json.dumps(dict(params), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(text.encode()).hexdigest()


def _spec(specs: Mapping[str, Param], name: str) -> Param:
    spec = specs.get(name)
    if spec is None:
        hint = difflib.get_close_matches(str(name), list(specs), n=1)
        raise GridError(str(name), "unknown parameter" + (f"; did you mean '{hint[0]}'?" if hint else ""))
    return spec


@dataclass(frozen=True)
class GridExpansion:
    """The runnable combinations of a grid (each a dict of the grid's parameters) and those left out."""

    grid: dict[str, list[Any]]
    combinations: list[dict[str, Any]]
    skipped: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def describe_skipped(self, limit: int = 3) -> str:
        """One line: how many combinations were left out and why (first few reasons)."""
        if not self.skipped:
            return ""
        reasons = "; ".join(f"{combo}: {why}" for combo, why in self.skipped[:limit])
        more = f" (+{len(self.skipped) - limit} more)" if len(self.skipped) > limit else ""
        return f"{len(self.skipped)} combination(s) left out as invalid: {reasons}{more}"


def grid_validate(specs: Iterable[Param], grid: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Each parameter known, each value valid for it (coerced: ``"40"`` → 40), no duplicates, not empty."""
    by_name = {spec.name: spec for spec in specs}
    if not grid:
        raise GridError(None, "the grid is empty: give at least one parameter with values")
    clean: dict[str, list[Any]] = {}
    for name, values in grid.items():
        spec = _spec(by_name, name)
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            values = [values]
        if not values:
            raise GridError(name, "no values given")
        coerced = [_clean(spec, value) for value in values]
        duplicates = sorted({repr(v) for v in coerced if coerced.count(v) > 1})
        if duplicates:
            raise GridError(name, f"value(s) given twice: {', '.join(duplicates)}")
        clean[name] = coerced
    size = math.prod(len(v) for v in clean.values())
    if size > MAX_COMBINATIONS:
        raise GridError(None, f"the grid has {size:,} combinations; at most {MAX_COMBINATIONS:,} are allowed")
    return clean


def grid_expand(
    strategy_class: type[Strategy], grid: Mapping[str, Sequence[Any]], base_params: Mapping[str, Any] | None = None
) -> GridExpansion:
    """Validate ``grid`` for ``strategy_class`` and list its combinations.

    ``base_params`` (the strategy's effective parameters) complete each combination for the
    cross-parameter check; a combination the strategy refuses is skipped with its reason. If every
    combination is refused, :class:`GridError` says why.
    """
    clean = grid_validate(strategy_class.param_specs, grid)
    names = list(clean)
    combinations: list[dict[str, Any]] = []
    skipped: list[tuple[dict[str, Any], str]] = []
    for values in itertools.product(*clean.values()):
        combo = dict(zip(names, values, strict=True))
        try:
            strategy_class({**(base_params or {}), **combo})
        except StrategyParameterError as exc:
            skipped.append((combo, str(exc)))
            continue
        combinations.append(combo)
    expansion = GridExpansion(clean, combinations, skipped)
    if not combinations:
        raise GridError(None, "no valid combination in the grid — " + expansion.describe_skipped())
    return expansion


def grid_neighbours(grid: Mapping[str, Sequence[Any]], combo: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Combinations one grid step away from ``combo`` in exactly one parameter (its neighbourhood)."""
    out = []
    for name, values in grid.items():
        values = list(values)
        if name not in combo or combo[name] not in values:
            continue
        i = values.index(combo[name])
        for j in (i - 1, i + 1):
            if 0 <= j < len(values):
                out.append({**combo, name: values[j]})
    return out


# ----------------------------------------------------------------------------- search spaces


@dataclass(frozen=True)
class SearchDimension:
    """One dimension of a search space: a numeric range (``low``…``high``, optional ``step``/``log``) or choices."""

    name: str
    kind: str  # "int", "float" or "categorical"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        if self.kind == "categorical":
            return {"choices": list(self.choices)}
        out: dict[str, Any] = {"type": self.kind, "low": self.low, "high": self.high}
        if self.step is not None:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out


_RANGE_KEYS = {"low", "high", "step", "log", "choices"}


def search_space_validate(specs: Iterable[Param], space: Mapping[str, Any]) -> list[SearchDimension]:
    """Check a search space against the parameter specs; ranges must lie inside each parameter's bounds."""
    by_name = {spec.name: spec for spec in specs}
    if not space:
        raise GridError(None, "the search space is empty: give at least one parameter range")
    dims = []
    for name, rng in space.items():
        spec = _spec(by_name, name)
        if isinstance(rng, Sequence) and not isinstance(rng, str):
            rng = {"choices": list(rng)}
        if not isinstance(rng, Mapping):
            raise GridError(name, "a range is {low, high[, step][, log]} or {choices: [...]}")
        unknown = sorted(set(rng) - _RANGE_KEYS)
        if unknown:
            raise GridError(name, f"unknown range key(s) {', '.join(unknown)}; use low, high, step, log or choices")
        if "choices" in rng:
            choices = [_clean(spec, c) for c in rng["choices"]]
            if not choices:
                raise GridError(name, "no choices given")
            dims.append(SearchDimension(name, "categorical", choices=tuple(dict.fromkeys(choices))))
            continue
        if spec.type not in (int, float):
            raise GridError(name, f"a {spec.type.__name__} parameter needs choices, not a range")
        if "low" not in rng or "high" not in rng:
            raise GridError(name, "a range needs both low and high")
        low, high = _clean(spec, rng["low"]), _clean(spec, rng["high"])
        if low >= high:
            raise GridError(name, f"low {low!r} must be below high {high!r}")
        step = rng.get("step")
        if step is not None:
            step = _clean(spec, step) if spec.type is int else float(step)
            if step <= 0:
                raise GridError(name, f"step must be positive, got {step!r}")
        log = bool(rng.get("log", False))
        if log and low <= 0:
            raise GridError(name, "a log range needs low > 0")
        kind = "int" if spec.type is int else "float"
        dims.append(SearchDimension(name, kind, low=low, high=high, step=step, log=log))
    return dims
