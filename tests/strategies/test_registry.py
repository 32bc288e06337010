"""The YAML strategy registry, its validation, and the Strategy table it is mirrored into."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jutsu.errors import ConfigError, InvalidParameter
from jutsu.services.config_overrides import config_override_set
from strategies.models import Strategy
from strategies.registry import load_registry
from strategies.services.registry import strategies_sync, strategy_effective_params

REAL_CONFIG = Path(__file__).resolve().parents[2] / "config"

REGISTRY = """
strategies:
  - id: fast_sma
    display_name: Fast SMA
    strategy_class: sma_crossover
    config_file: strategies/fast_sma.yaml
    is_primary: true
    execution_order: 1
  - id: macd
    strategy_class: macd_trend
    config_file: strategies/macd.yaml
    execution_order: 2
"""


@pytest.fixture
def config_dir(tmp_path):
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies_registry.yaml").write_text(REGISTRY)
    (tmp_path / "strategies" / "fast_sma.yaml").write_text(
        "parameters:\n  symbol: QQQ\n  fast: 10\n  slow: 50\nportfolio:\n  initial_capital: 25000\n"
    )
    (tmp_path / "strategies" / "macd.yaml").write_text("parameters: {}\n")
    return tmp_path


def test_the_shipped_registry_is_valid():
    registry = load_registry(REAL_CONFIG)
    ids = [s.strategy_id for s in registry.strategies]
    assert {"sma_crossover", "macd_trend"} <= set(ids)
    assert registry.settings["execution_timeout"] == 300


def test_registry_fills_defaults_and_validates_parameters(config_dir):
    registry = load_registry(config_dir)
    fast = registry.get("fast_sma")
    assert fast.parameters == {"symbol": "QQQ", "fast": 10, "slow": 50}
    assert fast.initial_capital == Decimal("25000")
    assert registry.get("macd").parameters["fast"] == 12  # the class default


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("strategies/fast_sma.yaml", "parameters:\n  fsat: 10\n", "fsat"),
        ("strategies/fast_sma.yaml", "parameters:\n  fast: -3\n", "below the minimum"),
        ("strategies/fast_sma.yaml", "parameters: {}\nportfolio:\n  initial_capital: 0\n", "initial_capital"),
        ("strategies/fast_sma.yaml", "paramters: {}\n", "unknown keys"),
        ("strategies_registry.yaml", REGISTRY.replace("sma_crossover", "sma_crossovr"), "did you mean"),
        ("strategies_registry.yaml", REGISTRY.replace("macd.yaml", "missing.yaml"), "does not exist"),
        ("strategies_registry.yaml", REGISTRY.replace("id: macd", "id: fast_sma"), "duplicate strategy ids"),
    ],
)
def test_invalid_registry_names_file_key_and_reason(config_dir, file, content, message):
    (config_dir / file).write_text(content)
    with pytest.raises(ConfigError, match=message) as error:
        load_registry(config_dir)
    assert Path(file).name in str(error.value) or "strategies[" in str(error.value)


@pytest.mark.django_db
def test_sync_creates_updates_and_retires_rows(config_dir):
    summary = strategies_sync(config_dir=config_dir)
    assert sorted(summary.created) == ["fast_sma", "macd"]
    assert Strategy.objects.get(strategy_id="fast_sma").is_primary is True
    assert strategies_sync(config_dir=config_dir).unchanged == ["fast_sma", "macd"]

    (config_dir / "strategies" / "fast_sma.yaml").write_text("parameters:\n  fast: 20\n  slow: 60\n")
    (config_dir / "strategies_registry.yaml").write_text(REGISTRY.split("  - id: macd")[0])
    summary = strategies_sync(config_dir=config_dir)
    assert summary.updated == ["fast_sma"] and summary.retired == ["macd"]
    macd = Strategy.objects.get(strategy_id="macd")
    assert macd.is_active is False and macd.in_registry is False
    fast = Strategy.objects.get(strategy_id="fast_sma")
    assert fast.parameters["fast"] == 20 and fast.history.count() == 2


@pytest.mark.django_db
def test_a_broken_registry_changes_nothing(config_dir):
    strategies_sync(config_dir=config_dir)
    (config_dir / "strategies" / "macd.yaml").write_text("parameters:\n  fast: oops\n")
    with pytest.raises(ConfigError):
        strategies_sync(config_dir=config_dir)
    assert Strategy.objects.filter(is_active=True).count() == 2


@pytest.mark.django_db
def test_sync_command_prints_a_summary_and_fails_cleanly(config_dir, settings, capsys):
    settings.JUTSU_CONFIG_DIR = config_dir
    call_command("sync_strategies")
    assert "2 created" in capsys.readouterr().out
    (config_dir / "strategies_registry.yaml").write_text("strategies: nope\n")
    with pytest.raises(CommandError, match=r"strategies_registry\.yaml"):
        call_command("sync_strategies")


@pytest.mark.django_db
def test_strategy_parameters_are_changed_through_audited_overrides(config_dir, admin_user):
    strategies_sync(config_dir=config_dir)
    fast = Strategy.objects.get(strategy_id="fast_sma")
    config_override_set(
        parameter="strategy.fast", value="15", reason="try faster", user=admin_user, strategy_id="fast_sma"
    )
    assert strategy_effective_params(fast)["fast"] == 15
    assert fast.parameters["fast"] == 10  # the YAML mirror is untouched
    with pytest.raises(InvalidParameter, match="no parameter 'fsat'"):
        config_override_set(parameter="strategy.fsat", value="15", reason="x", user=admin_user, strategy_id="fast_sma")
    with pytest.raises(InvalidParameter, match="below the minimum"):
        config_override_set(parameter="strategy.fast", value="0", reason="x", user=admin_user, strategy_id="fast_sma")
    with pytest.raises(InvalidParameter, match="need a strategy_id"):
        config_override_set(parameter="strategy.fast", value="5", reason="x", user=admin_user)


@pytest.mark.django_db
def test_effective_parameters_read_the_overrides_in_one_query(config_dir, admin_user, django_assert_num_queries):
    strategies_sync(config_dir=config_dir)
    fast = Strategy.objects.get(strategy_id="fast_sma")
    for parameter, value in (("strategy.fast", "15"), ("strategy.slow", "60")):
        config_override_set(parameter=parameter, value=value, reason="try", user=admin_user, strategy_id="fast_sma")
    with django_assert_num_queries(1):
        params = strategy_effective_params(fast)
    assert (params["fast"], params["slow"]) == (15, 60)
