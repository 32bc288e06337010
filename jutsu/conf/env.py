"""Strict parsers for environment values: junk is an error naming the variable, never a default."""

from __future__ import annotations

from collections.abc import Mapping

from jutsu.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """Parse a boolean variable (1/0, true/false, yes/no, on/off; case-insensitive)."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)", key=name)


def env_int(environ: Mapping[str, str], name: str, default: int, *, minimum: int | None = None) -> int:
    """Parse an integer variable, optionally bounded below."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer", key=name) from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum {minimum}", key=name)
    return value


def env_list(environ: Mapping[str, str], name: str, default: list[str] | None = None) -> list[str]:
    """Parse a comma-separated list; blanks are dropped."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    """Parse a value that must be one of ``choices`` (case-insensitive)."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={raw!r} must be one of {', '.join(choices)}", key=name)
    return value
