"""Grids and search spaces are validated against the strategy's own parameter specs."""

from __future__ import annotations

import pytest

from strategies.engine.library.sma_crossover import SmaCrossover
from strategies.engine.optimize import (
    GridError,
    grid_expand,
    grid_neighbours,
    metric_check,
    metric_score,
    param_key,
    search_space_validate,
)
from strategies.engine.params import Param


def test_a_grid_expands_to_the_cartesian_product_in_the_given_order():
    expansion = grid_expand(SmaCrossover, {"fast": ["20", 40], "slow": [100, "150"], "symbol": ["QQQ"]})
    assert expansion.grid == {"fast": [20, 40], "slow": [100, 150], "symbol": ["QQQ"]}
    assert [(c["fast"], c["slow"]) for c in expansion.combinations] == [(20, 100), (20, 150), (40, 100), (40, 150)]
    assert expansion.skipped == []


def test_combinations_the_strategy_refuses_are_left_out_with_the_reason():
    expansion = grid_expand(SmaCrossover, {"fast": [20, 120], "slow": [100, 150]})
    assert [(c["fast"], c["slow"]) for c in expansion.combinations] == [(20, 100), (20, 150), (120, 150)]
    assert expansion.skipped[0][0] == {"fast": 120, "slow": 100}
    assert "smaller than slow" in expansion.describe_skipped()


def test_a_grid_with_only_refused_combinations_is_an_error_saying_why():
    with pytest.raises(GridError, match=r"no valid combination.*smaller than slow"):
        grid_expand(SmaCrossover, {"fast": [200], "slow": [100, 150]})


@pytest.mark.parametrize(
    "grid, message",
    [
        ({"fast": [20, "bogus"]}, "parameter 'fast': expected an integer, got 'bogus'"),
        ({"nosuch": [1, 2]}, "parameter 'nosuch': unknown parameter"),
        ({"fats": [1, 2]}, "did you mean 'fast'"),
        ({"fast": [0, 20]}, "parameter 'fast': 0 is below the minimum 1"),
        ({"fast": []}, "parameter 'fast': no values given"),
        ({"fast": [20, 20.0]}, "parameter 'fast': value\\(s\\) given twice: 20"),
        ({}, "the grid is empty"),
    ],
)
def test_invalid_grids_are_refused_with_a_message_naming_the_problem(grid, message):
    with pytest.raises(GridError, match=message):
        grid_expand(SmaCrossover, grid)


def test_the_parameter_key_does_not_depend_on_the_order_of_the_parameters():
    assert param_key({"fast": 20, "slow": 100}) == param_key({"slow": 100, "fast": 20})
    assert param_key({"fast": 20, "slow": 100}) != param_key({"fast": 20, "slow": 150})


def test_neighbours_are_one_grid_step_away_in_one_parameter():
    grid = {"fast": [10, 20, 30], "slow": [100, 150]}
    assert grid_neighbours(grid, {"fast": 20, "slow": 100}) == [
        {"fast": 10, "slow": 100},
        {"fast": 30, "slow": 100},
        {"fast": 20, "slow": 150},
    ]


def test_ranking_metrics_know_their_direction():
    assert metric_check("sharpe") == "sharpe"
    with pytest.raises(GridError, match="did you mean 'sharpe'"):
        metric_check("sharp")
    assert metric_score({"volatility": 0.2}, "volatility") == -0.2  # lower is better
    assert metric_score({"profit_factor": "inf"}, "profit_factor") == float("inf")
    assert metric_score({"sharpe": None}, "sharpe") is None


def test_search_spaces_are_checked_against_the_parameter_bounds():
    specs = (*SmaCrossover.param_specs, Param("mode", str, "a", choices=("a", "b")), Param("w", float, 0.5, 0, 1))
    dims = search_space_validate(specs, {"fast": {"low": 5, "high": 50, "step": 5}, "mode": ["a", "b"]})
    assert [d.kind for d in dims] == ["int", "categorical"]
    assert dims[0].as_dict() == {"type": "int", "low": 5, "high": 50, "step": 5}
    with pytest.raises(GridError, match=r"'w': 2\.0 is above the maximum 1"):
        search_space_validate(specs, {"w": {"low": 0.1, "high": 2}})
    with pytest.raises(GridError, match="'fast': low 50 must be below high 5"):
        search_space_validate(specs, {"fast": {"low": 50, "high": 5}})
    with pytest.raises(GridError, match="needs choices"):
        search_space_validate(specs, {"symbol": {"low": 1, "high": 2}})
    with pytest.raises(GridError, match="unknown range key"):
        search_space_validate(specs, {"fast": {"low": 1, "high": 9, "steps": 2}})
