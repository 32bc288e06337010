"""Exceptions raised by the numeric core.

They carry no Django dependency; the Django layer maps them onto ``jutsu.errors``
(``StrategyParameterError`` → ``InvalidParameter``, ``DataError`` → ``DataMissing`` …).
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class StrategyParameterError(EngineError, ValueError):
    """A strategy parameter is unknown, of the wrong type or out of range.

    ``key`` names the offending parameter (``None`` for cross-parameter problems
    that do not belong to a single key).
    """

    def __init__(self, key: str | None, message: str) -> None:
        self.key = key
        super().__init__(f"parameter '{key}': {message}" if key else message)


class StrategyNotFoundError(EngineError, LookupError):
    """No strategy class is registered under the requested id."""


class InvalidOrderError(EngineError, ValueError):
    """A strategy asked for an impossible order (percentage outside 0…1, negative weight, …)."""


class DataError(EngineError, ValueError):
    """Input bars are malformed, or a symbol the strategy requires has no data."""
