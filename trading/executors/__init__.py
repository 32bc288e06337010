"""Executors, one per trading mode, behind one interface (:mod:`trading.executors.base`)."""

from trading.executors.base import (
    ExecutionError,
    Executor,
    Fill,
    OrderOutcome,
    OrderTicket,
    executor_for,
    executor_register,
)

__all__ = ["ExecutionError", "Executor", "Fill", "OrderOutcome", "OrderTicket", "executor_for", "executor_register"]
