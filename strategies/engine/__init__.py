"""Pure numeric core: indicators, strategies, backtest loop and performance analytics (no Django, no clock, no I/O).

Re-exported here: the backtest engine and simulator, the strategy framework and registry, the Kalman
filter and the engine's exceptions (see ``docs``/module docstrings for conventions).
"""

from .backtest import BacktestConfig, BacktestConfigError, run_backtest
from .decide import AccountState, Decision, PlannedOrder, decide
from .errors import DataError, EngineError, InvalidOrderError, StrategyNotFoundError, StrategyParameterError
from .feed import Bar, MarketFeed
from .kalman import AdaptiveKalmanFilter
from .params import Param, validate_params
from .results import BacktestResult
from .strategy import (
    Regime,
    Strategy,
    StrategyContext,
    create_strategy,
    get_strategy_class,
    list_strategy_classes,
    register_strategy,
)

__all__ = [
    "AccountState",
    "AdaptiveKalmanFilter",
    "BacktestConfig",
    "BacktestConfigError",
    "BacktestResult",
    "Bar",
    "DataError",
    "Decision",
    "EngineError",
    "InvalidOrderError",
    "MarketFeed",
    "Param",
    "PlannedOrder",
    "Regime",
    "Strategy",
    "StrategyContext",
    "StrategyNotFoundError",
    "StrategyParameterError",
    "create_strategy",
    "decide",
    "get_strategy_class",
    "list_strategy_classes",
    "register_strategy",
    "run_backtest",
    "validate_params",
]
