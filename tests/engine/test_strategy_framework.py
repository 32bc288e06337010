"""Strategy parameters, the registry and order validation."""

from __future__ import annotations

import pytest

from strategies.engine import (
    InvalidOrderError,
    Param,
    StrategyNotFoundError,
    StrategyParameterError,
    create_strategy,
    get_strategy_class,
    list_strategy_classes,
    validate_params,
)

SPECS = (
    Param("window", int, 20, min=2, max=500),
    Param("threshold", float, 0.5, min=0.0),
    Param("enabled", bool, True),
    Param("model", str, "standard", choices=("standard", "volume_adjusted")),
)


def test_defaults_fill_every_parameter_not_given():
    assert validate_params(SPECS, {"window": 30}) == {
        "window": 30,
        "threshold": 0.5,
        "enabled": True,
        "model": "standard",
    }


def test_text_values_from_yaml_or_cli_are_coerced_to_the_declared_types():
    out = validate_params(SPECS, {"window": "40", "threshold": "0.25", "enabled": "false", "model": "volume_adjusted"})
    assert out == {"window": 40, "threshold": 0.25, "enabled": False, "model": "volume_adjusted"}


def test_an_integral_float_is_accepted_for_an_integer_parameter_but_a_fraction_is_not():
    assert validate_params(SPECS, {"window": 40.0})["window"] == 40
    with pytest.raises(StrategyParameterError, match="'window': expected an integer"):
        validate_params(SPECS, {"window": 40.5})


def test_unknown_key_is_named_with_a_did_you_mean_hint():
    with pytest.raises(StrategyParameterError, match="'windwo': unknown parameter; did you mean 'window'") as exc:
        validate_params(SPECS, {"windwo": 10})
    assert exc.value.key == "windwo"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"window": 1}, "'window': 1 is below the minimum 2"),
        ({"window": 501}, "'window': 501 is above the maximum 500"),
        ({"threshold": "abc"}, "'threshold': expected a number"),
        ({"threshold": float("nan")}, "'threshold': must be finite"),
        ({"enabled": "maybe"}, "'enabled': expected true or false"),
        ({"enabled": 1}, "'enabled': expected true or false"),
        ({"window": True}, "'window': expected an integer"),
        ({"model": "fancy"}, "'model': 'fancy' is not one of 'standard', 'volume_adjusted'"),
    ],
)
def test_invalid_values_are_rejected_naming_the_key_and_reason(values, message):
    with pytest.raises(StrategyParameterError, match=message):
        validate_params(SPECS, values)


def test_parameter_errors_are_value_errors_for_callers_that_catch_broadly():
    assert issubclass(StrategyParameterError, ValueError)


def test_registry_lists_the_built_in_strategies():
    assert {
        "hierarchical_adaptive_v3_5b",
        "hierarchical_adaptive_v3_5d",
        "sma_crossover",
        "macd_trend",
    } <= set(list_strategy_classes())


def test_unknown_strategy_id_suggests_the_closest_one():
    with pytest.raises(StrategyNotFoundError, match="did you mean 'sma_crossover'"):
        get_strategy_class("sma_crosover")


def test_cross_parameter_rules_name_the_offending_key():
    with pytest.raises(StrategyParameterError, match="'fast': must be smaller than slow"):
        create_strategy("sma_crossover", {"fast": 50, "slow": 50})
    with pytest.raises(StrategyParameterError, match="'sma_fast'"):
        create_strategy("hierarchical_adaptive_v3_5b", {"sma_fast": 200})


def test_describe_exposes_parameter_specs_for_forms_and_the_api():
    described = get_strategy_class("hierarchical_adaptive_v3_5d").describe()
    names = [p["name"] for p in described["params"]]
    assert described["class_id"] == "hierarchical_adaptive_v3_5d"
    assert "cell1_exit_confirmation_days" in names and "measurement_noise" in names
    model = next(p for p in described["params"] if p["name"] == "model")
    assert model["choices"] == ["standard", "volume_adjusted", "parkinson_adjusted"]


@pytest.mark.parametrize("pct", [-0.1, 1.01, float("nan"), "half", True])
def test_buy_and_sell_percentages_outside_zero_to_one_are_an_error(pct):
    strategy = create_strategy("sma_crossover")
    with pytest.raises(InvalidOrderError, match="between 0 and 1"):
        strategy.buy("QQQ", pct)
    with pytest.raises(InvalidOrderError, match="between 0 and 1"):
        strategy.sell("QQQ", pct)


def test_orders_for_symbols_outside_the_strategy_are_an_error():
    with pytest.raises(InvalidOrderError, match="'SPY'"):
        create_strategy("sma_crossover").buy("SPY", 0.5)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"QQQ": 0.7, "TQQQ": 0.4}, "sum to 1.100000"),
        ({"QQQ": -0.1}, "negative"),
        ({"QQQ": float("inf")}, "finite"),
        ({"SPY": 0.5}, "not one of this strategy's symbols"),
    ],
)
def test_invalid_target_weights_are_rejected(targets, message):
    strategy = create_strategy("macd_trend")
    with pytest.raises(InvalidOrderError, match=message):
        strategy.validate_targets(targets)


def test_target_weights_may_name_cash_explicitly():
    assert create_strategy("macd_trend").validate_targets({"QQQ": 0.6, "cash": 0.4}) == {"QQQ": 0.6}
