"""Optimisation on top of the backtest engine: grids, walk-forward, Monte Carlo and the overfitting audit.

Pure numeric code like the rest of the engine (no Django, no clock); random draws come from a seeded
``numpy.random.Generator``.
"""

from .bars import SharedBars
from .grid import (
    RANKING_METRICS,
    GridError,
    GridExpansion,
    SearchDimension,
    grid_expand,
    grid_neighbours,
    grid_validate,
    metric_check,
    metric_score,
    param_key,
    search_space_validate,
)
from .montecarlo import METHODS as MONTE_CARLO_METHODS
from .montecarlo import monte_carlo
from .overfitting import (
    audit_verdict,
    deflated_sharpe_from_returns,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    nearest_trials,
    plateau_check,
    probability_of_backtest_overfitting,
)
from .walkforward import WINDOW_METRICS, parameter_stability, walk_forward, walk_forward_windows

__all__ = [
    "MONTE_CARLO_METHODS",
    "RANKING_METRICS",
    "WINDOW_METRICS",
    "GridError",
    "GridExpansion",
    "SearchDimension",
    "SharedBars",
    "audit_verdict",
    "deflated_sharpe_from_returns",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "grid_expand",
    "grid_neighbours",
    "grid_validate",
    "metric_check",
    "metric_score",
    "monte_carlo",
    "nearest_trials",
    "param_key",
    "parameter_stability",
    "plateau_check",
    "probability_of_backtest_overfitting",
    "search_space_validate",
    "walk_forward",
    "walk_forward_windows",
]
