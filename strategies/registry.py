"""The strategy registry: ``config/strategies_registry.yaml`` plus one file per strategy.

Loading validates everything the live runner and the backtester will rely on: known keys only,
a registered strategy class, parameters accepted by that class, positive capital, sane slippage
limits. Every problem is a ``ConfigError`` naming the file, the key and the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jutsu.conf.yaml_config import load_yaml_file
from jutsu.errors import ConfigError
from strategies.engine.errors import StrategyNotFoundError, StrategyParameterError
from strategies.engine.strategy import get_strategy_class

REGISTRY_FILE = "strategies_registry.yaml"
ENTRY_KEYS = {
    "id",
    "display_name",
    "strategy_class",
    "config_file",
    "is_primary",
    "is_active",
    "paper_trading",
    "execution_order",
    "description",
}
SETTINGS_DEFAULTS = {"isolate_failures": True, "execution_timeout": 300, "shared_data_fetch": True}
FILE_KEYS = {"parameters", "execution", "portfolio", "baseline_symbol"}
EXECUTION_DEFAULTS = {
    "execution_time": None,
    "rebalance_threshold_pct": 2.5,
    "slippage_warning_pct": 0.3,
    "slippage_max_pct": 0.5,
    "slippage_abort_pct": 1.0,
}


@dataclass(frozen=True)
class StrategyDefinition:
    """One strategy as the reviewed YAML describes it (validated)."""

    strategy_id: str
    display_name: str
    strategy_class: str
    config_file: str
    is_primary: bool
    is_active: bool
    paper_trading: bool
    execution_order: int
    description: str
    parameters: dict[str, Any]
    execution: dict[str, Any]
    initial_capital: Decimal
    baseline_symbol: str
    source_hash: str = field(repr=False, default="")


@dataclass(frozen=True)
class Registry:
    settings: dict[str, Any]
    strategies: list[StrategyDefinition]

    def get(self, strategy_id: str) -> StrategyDefinition | None:
        return next((s for s in self.strategies if s.strategy_id == strategy_id), None)


def _require(mapping: dict, key: str, kind: type, file: Path, where: str):
    if key not in mapping:
        raise ConfigError("is required", file=str(file), key=f"{where}.{key}")
    value = mapping[key]
    if kind is bool and not isinstance(value, bool):
        raise ConfigError(f"must be true or false, got {value!r}", file=str(file), key=f"{where}.{key}")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"must be an integer, got {value!r}", file=str(file), key=f"{where}.{key}")
    if kind is str and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"must be a non-empty string, got {value!r}", file=str(file), key=f"{where}.{key}")
    return value


def _load_strategy_file(config_dir: Path, entry: dict, where: str) -> tuple[dict, str]:
    path = (config_dir / entry["config_file"]).resolve()
    if config_dir.resolve() not in path.parents:
        raise ConfigError("config_file must stay inside the config folder", key=f"{where}.config_file")
    if not path.is_file():
        raise ConfigError(f"file {entry['config_file']} does not exist", key=f"{where}.config_file")
    data = load_yaml_file(path) or {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping", file=str(path))
    unknown = set(data) - FILE_KEYS
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}; allowed: {sorted(FILE_KEYS)}", file=str(path))
    return data, hashlib.sha256(path.read_bytes()).hexdigest()


def _definition(config_dir: Path, registry_path: Path, entry: Any, index: int) -> StrategyDefinition:
    where = f"strategies[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError("each strategy must be a mapping", file=str(registry_path), key=where)
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}", file=str(registry_path), key=where)
    strategy_id = _require(entry, "id", str, registry_path, where)
    where = f"strategies[{strategy_id}]"
    for key, kind in (("strategy_class", str), ("config_file", str)):
        _require(entry, key, kind, registry_path, where)
    try:
        strategy_class = get_strategy_class(entry["strategy_class"])
    except StrategyNotFoundError as exc:
        raise ConfigError(str(exc), file=str(registry_path), key=f"{where}.strategy_class") from None

    data, digest = _load_strategy_file(config_dir, entry, where)
    file = str(config_dir / entry["config_file"])
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ConfigError("must be a mapping", file=file, key="parameters")
    try:
        strategy = strategy_class(parameters)
    except StrategyParameterError as exc:
        raise ConfigError(str(exc), file=file, key=f"parameters.{exc.key}" if exc.key else "parameters") from None

    execution = {**EXECUTION_DEFAULTS, **(data.get("execution") or {})}
    unknown = set(execution) - set(EXECUTION_DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}", file=file, key="execution")
    limits = [execution[k] for k in ("slippage_warning_pct", "slippage_max_pct", "slippage_abort_pct")]
    if not all(isinstance(v, (int, float)) and v >= 0 for v in limits) or limits != sorted(limits):
        raise ConfigError("slippage warning ≤ max ≤ abort, all ≥ 0", file=file, key="execution")

    portfolio = data.get("portfolio") or {}
    try:
        capital = Decimal(str(portfolio.get("initial_capital", 10000)))
    except InvalidOperation:
        raise ConfigError("must be a number", file=file, key="portfolio.initial_capital") from None
    if not capital.is_finite() or capital <= 0:
        raise ConfigError("must be positive", file=file, key="portfolio.initial_capital")

    return StrategyDefinition(
        strategy_id=strategy_id,
        display_name=str(entry.get("display_name") or strategy_id),
        strategy_class=entry["strategy_class"],
        config_file=entry["config_file"],
        is_primary=bool(entry.get("is_primary", False)),
        is_active=bool(entry.get("is_active", True)),
        paper_trading=bool(entry.get("paper_trading", True)),
        execution_order=int(entry.get("execution_order", 100)),
        description=str(entry.get("description") or "").strip(),
        parameters=strategy.params,
        execution=execution,
        initial_capital=capital,
        baseline_symbol=str(data.get("baseline_symbol") or "QQQ").upper(),
        source_hash=digest,
    )


def _registry_data(config_dir: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """(path, raw data, validated global settings) of the registry file."""
    path = config_dir / REGISTRY_FILE
    if not path.is_file():
        raise ConfigError("the strategy registry file is missing", file=str(path))
    data = load_yaml_file(path) or {}
    if not isinstance(data, dict) or not isinstance(data.get("strategies"), list):
        raise ConfigError("expected a mapping with a 'strategies' list", file=str(path))
    unknown = set(data) - {"settings", "strategies"}
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}", file=str(path))
    settings = {**SETTINGS_DEFAULTS, **(data.get("settings") or {})}
    unknown = set(settings) - set(SETTINGS_DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}", file=str(path), key="settings")
    for key in ("isolate_failures", "shared_data_fetch"):
        if not isinstance(settings[key], bool):
            raise ConfigError(f"must be true or false, got {settings[key]!r}", file=str(path), key=f"settings.{key}")
    timeout = settings["execution_timeout"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"must be a positive number of seconds, got {timeout!r}", file=str(path), key="settings")
    return path, data, settings


def registry_settings(config_dir: Path) -> dict[str, Any]:
    """The registry's global settings (``isolate_failures``, ``execution_timeout`` s, ``shared_data_fetch``)."""
    return _registry_data(config_dir)[2]


def load_registry(config_dir: Path) -> Registry:
    """Load and validate the registry and every strategy file it names."""
    path, data, settings = _registry_data(config_dir)
    definitions = [_definition(config_dir, path, entry, i) for i, entry in enumerate(data["strategies"])]
    ids = [d.strategy_id for d in definitions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"duplicate strategy ids {duplicates}", file=str(path))
    primaries = [d.strategy_id for d in definitions if d.is_primary and d.is_active]
    if len(primaries) > 1:
        raise ConfigError(f"more than one active primary strategy: {primaries}", file=str(path))
    return Registry(settings=settings, strategies=sorted(definitions, key=lambda d: (d.execution_order, d.strategy_id)))
