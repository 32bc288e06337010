"""Optimisation files (``config/optimization/*.yaml``): a grid, search ranges and defaults for a strategy.

Layout (every key optional except one of ``grid`` / ``search``)::

    strategy: sma_crossover          # the strategy id the file is written for (checked when given)
    metric: sharpe                   # default ranking metric
    start: 2010-02-11                # default range
    end: 2020-07-02
    params: {symbol: QQQ}            # fixed parameters of every trial
    grid: {fast: [20, 40], slow: [100, 150]}
    search: {fast: {low: 5, high: 80}, slow: {low: 90, high: 250, step: 5}}
    walkforward: {is_bars: 252, oos_bars: 63}

An unknown key, a malformed file or a wrong type is a ``ConfigError`` naming the file and the key.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from jutsu.errors import ConfigError

TOP_KEYS = ("strategy", "description", "metric", "start", "end", "params", "grid", "search", "walkforward")
WALKFORWARD_KEYS = ("is_bars", "oos_bars")


def optimization_config_load(path: str | Path) -> dict[str, Any]:
    """Read and check an optimisation file; returns its keys (dates as ``date``)."""
    path = Path(path)
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=name) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc})", file=name) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of keys (grid, search, params, …)", file=name)
    unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
    if unknown:
        raise ConfigError(f"unknown key; allowed: {', '.join(TOP_KEYS)}", file=name, key=unknown[0])
    for key in ("params", "grid", "search", "walkforward"):
        if key in data and not isinstance(data[key], dict):
            raise ConfigError("must be a mapping", file=name, key=key)
    for key in ("grid",):
        for param, values in (data.get(key) or {}).items():
            if not isinstance(values, list):
                raise ConfigError("a grid lists values: name: [v1, v2, …]", file=name, key=f"{key}.{param}")
    for key in ("start", "end"):
        if key in data and not isinstance(data[key], dt.date):
            try:
                data[key] = dt.date.fromisoformat(str(data[key]))
            except ValueError:
                raise ConfigError(f"not a date: {data[key]!r} (use YYYY-MM-DD)", file=name, key=key) from None
    extra = sorted(set(data.get("walkforward") or {}) - set(WALKFORWARD_KEYS))
    if extra:
        raise ConfigError(
            f"unknown key; allowed: {', '.join(WALKFORWARD_KEYS)}", file=name, key=f"walkforward.{extra[0]}"
        )
    if "grid" not in data and "search" not in data:
        raise ConfigError("give a grid (name: [values]) or search ranges", file=name)
    return data
