"""Walk-forward, Monte Carlo and the overfitting audit through the services and ``manage.py optimize``."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jutsu.errors import InvalidParameter, NotFound
from strategies.models import OptimizationRun
from strategies.services.backtests import BacktestRequest, backtest_run_execute
from strategies.services.optimization_analysis import (
    optimization_audit,
    optimization_export,
    optimization_montecarlo_execute,
)
from strategies.services.optimization_runs import (
    OptimizationRequest,
    optimization_run_start,
    optimization_run_work_locally,
)

pytestmark = pytest.mark.django_db


def run_local(**values) -> OptimizationRun:
    base = {"strategy_id": "sma_crossover", "fixed_params": {"symbol": "QQQ"}}
    run = optimization_run_start(OptimizationRequest(**{**base, **values}), execution="local")
    return optimization_run_work_locally(run.pk)


def test_walk_forward_windows_follow_each_other_and_choose_on_in_sample_only(market):
    run = run_local(
        kind="walkforward",
        start=date(2010, 6, 1),
        end=date(2014, 12, 31),
        space={"fast": [20, 40], "slow": [100, 150]},
        is_bars=252,
        oos_bars=126,
    )
    assert run.status == "completed", run.error
    document = optimization_export(run)
    windows = document["windows"]
    assert len(windows) == (len(document["oos_equity"])) // 126 >= 6
    for w in windows:
        assert w["is_start"] < w["is_end"] < w["oos_start"] <= w["oos_end"]
        # the chosen combination is the best in-sample one among the four
        assert w["best_params"]["fast"] in (20, 40) and w["best_params"]["slow"] in (100, 150)
    for a, b in itertools.pairwise(windows):
        assert a["oos_end"] < b["oos_start"]
    assert document["oos_equity"][0]["date"] >= windows[0]["oos_start"]
    assert isinstance(document["efficiency"], float)
    assert set(document["stability"]["parameters"]) == {"fast", "slow"}


def test_walk_forward_refuses_a_range_shorter_than_one_window(market):
    with pytest.raises(InvalidParameter, match="a walk-forward needs is_bars \\+ oos_bars = 315"):
        optimization_run_start(
            OptimizationRequest(
                kind="walkforward",
                strategy_id="sma_crossover",
                start=date(2015, 1, 2),
                end=date(2015, 12, 31),
                space={"fast": [20, 40]},
            ),
            execution="local",
        )
    assert not OptimizationRun.objects.exists()


@pytest.fixture
def backtest(market):
    return backtest_run_execute(BacktestRequest("sma_crossover", date(2012, 1, 3), date(2016, 12, 30)))


def test_monte_carlo_is_stored_reproducible_and_recorded_with_its_seed(backtest):
    first = optimization_montecarlo_execute(backtest_id=backtest.pk, paths=500, seed=3)
    second = optimization_montecarlo_execute(backtest_id=backtest.pk, paths=500, seed=3)
    assert first.kind == "montecarlo" and first.backtest_id == backtest.pk
    assert first.summary["percentiles"] == second.summary["percentiles"]
    drawn = optimization_montecarlo_execute(backtest_id=backtest.pk, paths=100, method="shuffle")
    assert isinstance(drawn.options["seed"], int)
    # the observed path is the backtest itself: the same total return as the analyzer's
    assert drawn.summary["observed"]["total_return"] == pytest.approx(backtest.metrics["total_return"], rel=1e-9)
    assert drawn.summary["percentiles"]["total_return"]["p50"] == pytest.approx(backtest.metrics["total_return"])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"backtest_id": 999_999}, NotFound, "backtest run 999999 not found"),
        ({"method": "jackknife"}, InvalidParameter, "method: 'jackknife'"),
        ({"paths": 0}, InvalidParameter, "paths: between 1 and 100000"),
    ],
)
def test_monte_carlo_refuses_bad_requests(backtest, kwargs, error, message):
    with pytest.raises(error, match=message):
        optimization_montecarlo_execute(**{"backtest_id": backtest.pk, **kwargs})


def test_the_audit_is_computed_at_the_end_and_again_on_demand(market):
    run = run_local(kind="grid", start=date(2012, 1, 3), end=date(2016, 12, 30), space={"fast": [20, 40, 60]})
    assert 0 <= run.audit["pbo"] <= 1 and 0 <= run.audit["deflated_sharpe"] <= 1
    assert run.audit["n_trials"] == 3
    assert run.audit["verdict"] in ("robust", "inconclusive", "likely_overfit")
    assert run.audit["plateau"]["neighbours"] >= 1
    again = optimization_audit(run.pk)
    assert again == {"id": run.pk, **run.audit}


def test_only_finished_grid_runs_can_be_audited(backtest):
    mc = optimization_montecarlo_execute(backtest_id=backtest.pk, paths=10, seed=1)
    with pytest.raises(InvalidParameter, match="the audit is for grid, walk-forward and search runs"):
        optimization_audit(mc.pk)
    with pytest.raises(NotFound):
        optimization_audit(424242)


# ---------------------------------------------------------------------------------------------- command


def test_the_command_writes_the_contract_json_and_prints_a_ranking(market, tmp_path, capsys):
    out = tmp_path / "grid.json"
    call_command(
        "optimize", "grid", "sma_crossover", "--start", "2012-01-03", "--end", "2016-12-30",
        "--param", "symbol=QQQ", "--param", "fast=20,40", "--param", "slow=100,150", "--json", str(out),
        "--no-progress",
    )  # fmt: skip
    document = json.loads(out.read_text())
    assert document["metric"] == "sharpe" and len(document["results"]) == 4
    assert {"params", "metrics"} <= set(document["results"][0])
    printed = capsys.readouterr().out
    assert "Ranking by sharpe (4 completed, 0 failed)" in printed and "Audit:" in printed

    audit_path = tmp_path / "audit.json"
    call_command("optimize", "audit", str(document["id"]), "--json", str(audit_path))
    audit = json.loads(audit_path.read_text())
    assert audit["id"] == document["id"] and 0 <= audit["pbo"] <= 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--param", "fast=20,bogus"], "parameter 'fast': expected an integer, got 'bogus'"),
        (["--param", "nosuch=1,2"], "parameter 'nosuch': unknown parameter"),
        (["--param", "fast"], "--param 'fast': use name=value"),
        (["--grid", "/nonexistent.yaml"], "cannot read the file"),
    ],
)
def test_the_command_refuses_invalid_grids_and_stores_nothing(market, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("optimize", "grid", "sma_crossover", "--start", "2012-01-03", "--end", "2016-12-30", *args)
    assert not OptimizationRun.objects.exists()


def test_the_example_files_load_and_expand(market, tmp_path):
    out = tmp_path / "sma.json"
    call_command(
        "optimize", "grid", "sma_crossover", "--grid", "config/optimization/sma_crossover.yaml",
        "--start", "2014-01-02", "--end", "2015-12-31", "--param", "fast=20,40", "--param", "slow=100",
        "--json", str(out), "--no-progress",
    )  # fmt: skip
    document = json.loads(out.read_text())
    assert [r["params"]["symbol"] for r in document["results"]] == ["QQQ", "QQQ"]
    from strategies.engine.optimize import grid_expand
    from strategies.engine.strategy import get_strategy_class
    from strategies.services.optimization_config import optimization_config_load

    v35b = optimization_config_load("config/optimization/v3_5b.yaml")
    expansion = grid_expand(get_strategy_class("hierarchical_adaptive_v3_5b"), v35b["grid"])
    assert len(expansion.combinations) == 64


def test_the_command_runs_monte_carlo_with_the_contract_keys(backtest, tmp_path):
    out = tmp_path / "mc.json"
    call_command("optimize", "montecarlo", "--backtest", str(backtest.pk), "--paths", "200", "--seed", "7",
                 "--method", "block", "--json", str(out))  # fmt: skip
    document = json.loads(out.read_text())
    assert document["paths"] == 200 and document["seed"] == 7 and document["method"] == "block"
    assert set(document["percentiles"]) >= {"total_return", "sharpe", "max_drawdown"}
    assert set(document["percentiles"]["sharpe"]) >= {"p5", "p50", "p95"}
    assert 0 <= document["probability_of_loss"] <= 1
