"""Equity observations: how trading reports "this strategy is worth X now" without importing ``performance``.

The trading job (after a strategy's trades) and the refresh jobs (marking positions to market) build an
:class:`EquityObservation` and call :func:`equity_observe`. Whoever keeps equity history registers a listener
— ``performance/apps.py`` registers the one that stores a ``PerformanceSnapshot`` — the same plug-in pattern
as ``jutsu.jobs.housekeeping_step``, so the dependency keeps pointing ``performance → trading``.

A listener that raises is logged and does not fail the job that observed the equity (a missing snapshot is
recovered by the next one and the EOD job marks positions to market without it) — except when the setting
``EQUITY_LISTENER_ERRORS_RAISE`` is true, which the test settings set so that a broken listener fails tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# Where an observation comes from (the values of ``performance.models.SnapshotSource``).
TRADING_JOB = "trading_job"
HOURLY_REFRESH = "hourly_refresh"
MARKET_CLOSE = "market_close"
MANUAL = "manual"
SOURCES = (TRADING_JOB, HOURLY_REFRESH, MARKET_CLOSE, MANUAL)


@dataclass(frozen=True)
class EquityObservation:
    """A strategy's equity in one mode at one moment.

    ``positions`` is ``{symbol: {"qty": number, "value": "decimal text"}}``; ``timestamp`` is aware.
    ``regime`` (cell, trend_state, vol_state, t_norm, z_score, sma_fast, sma_slow) is given only by the
    trading job — the only writer of regime state (ADR-04); refreshes leave it ``None``.
    """

    strategy_id: str
    mode: str
    source: str
    timestamp: datetime
    total_equity: Decimal
    cash: Decimal
    positions_value: Decimal
    positions: dict[str, Any] = field(default_factory=dict)
    regime: dict[str, Any] | None = None


EquityListener = Callable[[EquityObservation], None]
_listeners: dict[str, EquityListener] = {}


def equity_listener(func: EquityListener) -> EquityListener:
    """Register ``func(observation)`` to be called for every observation (once per qualified name)."""
    _listeners[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def equity_observe(observation: EquityObservation) -> None:
    """Hand ``observation`` to every listener (see the module docstring for errors)."""
    if observation.source not in SOURCES:
        raise ValueError(f"unknown equity source {observation.source!r}; use one of {', '.join(SOURCES)}")
    for name, listener in list(_listeners.items()):
        try:
            listener(observation)
        except Exception:
            if getattr(settings, "EQUITY_LISTENER_ERRORS_RAISE", False):
                raise
            logger.exception(
                "equity listener %s failed for %s/%s at %s",
                name,
                observation.strategy_id,
                observation.mode,
                observation.timestamp.isoformat(),
            )
