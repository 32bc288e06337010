"""Loading and validating the YAML layer of the configuration.

``config/config.yaml`` and ``config/live_trading_config.yaml`` are nested mappings whose leaves are
catalogue parameters (``trading: {execution_time: close}`` is ``trading.execution_time``).
Invalid YAML, an unknown key or an out-of-range value fails with the file, the key and the reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from jutsu.conf.parameters import PARAMETERS
from jutsu.errors import ConfigError

RUNTIME_FILES = ("config.yaml", "live_trading_config.yaml")


def load_yaml_file(path: Path) -> Any:
    """Parse one YAML file, turning syntax errors into a ConfigError with file and line."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML{where}: {problem}", file=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None


def _flatten(node: Any, prefix: str, path: Path) -> Iterable[tuple[str, Any]]:
    if not isinstance(node, dict):
        raise ConfigError("expected a mapping", file=str(path), key=prefix or "<top level>")
    for key, value in node.items():
        if not isinstance(key, str):
            raise ConfigError(f"key {key!r} is not a string", file=str(path), key=prefix or "<top level>")
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _flatten(value, name, path)
        else:
            yield name, value


def parse_runtime_yaml(path: Path) -> dict[str, Any]:
    """Return ``{parameter: typed value}`` from one runtime YAML file, validated against the catalogue."""
    data = load_yaml_file(path)
    if data is None:
        return {}
    values: dict[str, Any] = {}
    for name, raw in _flatten(data, "", path):
        parameter = PARAMETERS.get(name)
        if parameter is None:
            import difflib

            close = difflib.get_close_matches(name, PARAMETERS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"unknown key{hint}", file=str(path), key=name)
        try:
            values[name] = parameter.parse(raw, source="value")
        except ConfigError as exc:
            raise ConfigError(exc.message, file=str(path)) from None
    return values


class YamlLayer:
    """The merged runtime YAML files of a config directory, re-read when a file changes."""

    def __init__(self, directory: Path, files: tuple[str, ...] = RUNTIME_FILES) -> None:
        self.directory = directory
        self.files = files
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._values: dict[str, Any] = {}
        self._origin: dict[str, str] = {}

    def _current_stamp(self) -> tuple[Any, ...]:
        stamp = []
        for name in self.files:
            try:
                st = os.stat(self.directory / name)
                stamp.append((name, st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                stamp.append((name, None, None))
        return tuple(stamp)

    def load(self) -> dict[str, Any]:
        """Return all values, validating every file (raises ConfigError on the first problem)."""
        with self._lock:
            stamp = self._current_stamp()
            if stamp != self._stamp:
                values: dict[str, Any] = {}
                origin: dict[str, str] = {}
                for name in self.files:
                    path = self.directory / name
                    if not path.exists():
                        continue
                    for key, value in parse_runtime_yaml(path).items():
                        if key in values:
                            raise ConfigError(
                                f"also set in {origin[key]}; set each key in one file only",
                                file=str(path),
                                key=key,
                            )
                        values[key] = value
                        origin[key] = name  # the file name only: values are shown to viewers
                self._values, self._origin, self._stamp = values, origin, stamp
            return dict(self._values)

    def origin(self, name: str) -> str | None:
        """The name of the file (in the config directory) a YAML value came from (after ``load``)."""
        return self._origin.get(name)
