"""Backtest runs from stored bars: the service, the command, its JSON contract and its errors."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jutsu.errors import DataMissing, InvalidParameter, NotFound
from strategies.models import BacktestRun
from strategies.services.backtests import BacktestRequest, backtest_run_execute

pytestmark = pytest.mark.django_db

CONTRACT_METRICS = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "volatility",
    "var_95",
    "cvar_95",
    "win_rate",
    "profit_factor",
    "total_trades",
    "beta",
    "alpha",
)


def test_sma_crossover_backtest_is_stored_with_its_results(market):
    run = backtest_run_execute(BacktestRequest("sma_crossover", date(2015, 1, 2), date(2019, 12, 31)))
    assert run.status == "completed"
    assert len(run.equity_curve) == len(run.baseline_curve) > 1000
    assert run.equity_curve[0]["date"] == "2015-01-02"
    assert run.final_equity == Decimal(run.equity_curve[-1]["equity"])
    assert set(CONTRACT_METRICS) <= set(run.metrics)
    # every fill is whole shares and money never goes negative
    assert all(float(f["qty"]) == int(float(f["qty"])) for f in run.fills)
    assert all(Decimal(row["cash"]) >= 0 for row in run.equity_curve)


def test_identical_runs_give_identical_results(market):
    request = BacktestRequest("v3_5b", date(2012, 1, 3), date(2016, 12, 30))
    first, second = backtest_run_execute(request), backtest_run_execute(request)
    assert first.metrics == second.metrics
    assert first.equity_curve == second.equity_curve
    assert first.fills == second.fills


def test_v3_5b_reports_regimes_and_the_missing_tmv(market):
    run = backtest_run_execute(BacktestRequest("v3_5b", date(2010, 2, 11), date(2020, 7, 2)))
    assert len(run.equity_curve) == 2616
    cells = {row["cell"] for row in run.regime if row.get("cell") is not None}
    assert cells <= {1, 2, 3, 4, 5, 6} and len(cells) >= 4
    assert any("TMV" in warning for warning in run.warnings)


def test_unknown_strategy_is_refused_and_nothing_is_stored(market):
    with pytest.raises(NotFound, match="unknown strategy 'nope'"):
        backtest_run_execute(BacktestRequest("nope", date(2015, 1, 2), date(2016, 1, 4)))
    assert BacktestRun.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"no_such_param": "1"}, "no_such_param"), ({"fast": "0"}, "below the minimum"), ({"fast": "x"}, "fast")],
)
def test_invalid_parameters_are_refused_by_name(market, overrides, message):
    with pytest.raises(InvalidParameter, match=message):
        backtest_run_execute(BacktestRequest("sma_crossover", date(2015, 1, 2), date(2016, 1, 4), overrides))
    assert BacktestRun.objects.count() == 0


def test_a_required_symbol_without_bars_in_range_is_a_clear_error(market):
    with pytest.raises(DataMissing, match="no TQQQ bars between 2022-01-03 and 2022-12-30"):
        backtest_run_execute(BacktestRequest("v3_5b", date(2022, 1, 3), date(2022, 12, 30)))
    assert BacktestRun.objects.count() == 0


def test_costs_reduce_the_result(market):
    free = backtest_run_execute(
        BacktestRequest(
            "v3_5b", date(2012, 1, 3), date(2014, 12, 31), commission_per_share=Decimal("0"), slippage=Decimal("0")
        )
    )
    costly = backtest_run_execute(
        BacktestRequest(
            "v3_5b",
            date(2012, 1, 3),
            date(2014, 12, 31),
            commission_per_share=Decimal("0.05"),
            slippage=Decimal("0.005"),
        )
    )
    assert costly.final_equity < free.final_equity


def test_command_prints_a_summary_and_writes_the_json_contract(market, tmp_path, capsys):
    out = tmp_path / "run.json"
    call_command(
        "backtest",
        "sma_crossover",
        "--start",
        "2015-01-02",
        "--end",
        "2016-12-30",
        "--set",
        "fast=20",
        "--json",
        str(out),
        "--csv",
        str(tmp_path / "csv"),
    )
    printed = capsys.readouterr().out
    assert "Sharpe" in printed and "Max drawdown" in printed
    assert "Initial equity" not in printed
    document = json.loads(out.read_text())
    for key in (
        "id",
        "metrics",
        "equity_curve",
        "baseline_curve",
        "regime",
        "fills",
        "trades",
        "params",
        "duration_seconds",
    ):
        assert key in document
    assert document["params"]["fast"] == 20
    assert BacktestRun.objects.get(pk=document["id"]).params["fast"] == 20
    assert set(document["equity_curve"][0]) == {"date", "equity", "cash", "positions_value", "positions"}
    assert (tmp_path / "csv" / "trades.csv").read_text().startswith("symbol,")


def test_the_summary_and_the_metrics_measure_returns_from_the_initial_capital(market, tmp_path, capsys):
    """SMA 40/140 from 2010-02-11 buys on its first day, so that day's equity is below the capital after
    commission and slippage; the summary shows the capital, and total return and CAGR start from it."""
    out = tmp_path / "run.json"
    call_command("backtest", "sma_crossover", "--set", "fast=40", "--set", "slow=140", "--start", "2010-02-11",
                 "--end", "2020-07-02", "--capital", "10000", "--json", str(out))  # fmt: skip
    printed = capsys.readouterr().out
    document = json.loads(out.read_text())
    first, final = Decimal(document["equity_curve"][0]["equity"]), Decimal(document["equity_curve"][-1]["equity"])
    assert first < 10_000
    lines = {line.strip().split("  ")[0]: line.split()[-1] for line in printed.splitlines() if line.startswith("  ")}
    assert lines["Initial capital"] == "$10,000.00"
    assert lines["Final equity"] == f"${final:,.2f}"
    metrics = document["metrics"]
    assert metrics["initial_capital"] == 10_000 and Decimal(str(metrics["start_equity"])) == first
    assert metrics["total_return"] == pytest.approx(float(final) / 10_000 - 1, rel=1e-12)
    assert lines["Total return"] == f"{metrics['total_return'] * 100:,.2f}%"
    days = (date(2020, 7, 2) - date.fromisoformat(document["equity_curve"][0]["date"])).days
    assert metrics["cagr"] == pytest.approx((float(final) / 10_000) ** (365.25 / days) - 1, rel=1e-12)


def test_the_exported_equity_curves_carry_each_rows_per_symbol_positions(market, tmp_path):
    out, folder = tmp_path / "run.json", tmp_path / "csv"
    call_command("backtest", "v3_5b", "--start", "2012-01-03", "--end", "2013-12-31", "--json", str(out), "--csv",
                 str(folder))  # fmt: skip
    document = json.loads(out.read_text())
    run = BacktestRun.objects.get(pk=document["id"])
    for name in ("equity_curve", "baseline_curve"):
        exported, stored = document[name], getattr(run, name)
        assert [row["positions"] for row in exported] == [row["positions"] for row in stored]
        held = [row for row in exported if Decimal(row["positions_value"]) > 0]
        assert held, f"{name}: no row with holdings"
        for row in held:
            assert sum(Decimal(p["value"]) for p in row["positions"].values()) == Decimal(row["positions_value"])
    assert len({symbol for row in document["equity_curve"] for symbol in row["positions"]}) >= 2

    # the CSV has one qty and one value column per symbol ever held, empty while not held
    with (folder / "equity_curve.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert "positions" not in rows[0]
    symbols = sorted({symbol for row in document["equity_curve"] for symbol in row["positions"]})
    assert list(rows[0]) == ["date", "equity", "cash", "positions_value"] + [
        f"{s}_{part}" for s in symbols for part in ("qty", "value")
    ]
    for row, exported in zip(rows, document["equity_curve"], strict=True):
        for symbol in symbols:
            held = exported["positions"].get(symbol)
            assert row[f"{symbol}_qty"] == (str(held["qty"]) if held else "")
            assert row[f"{symbol}_value"] == (str(held["value"]) if held else "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--start", "2015-01-02", "--end", "2016-01-04"], "unknown strategy"),
        (
            ["sma_crossover", "--start", "2015-01-02", "--end", "2016-01-04", "--set", "no_such_param=1"],
            "no_such_param",
        ),
        (["sma_crossover", "--start", "2015-13-02", "--end", "2016-01-04"], "not a date"),
        (["sma_crossover", "--start", "2016-01-04", "--end", "2015-01-02"], "before start"),
        (["sma_crossover", "--start", "2015-01-02", "--end", "2016-01-04", "--set", "fast"], "key=value"),
        (["sma_crossover", "--start", "2015-01-02", "--end", "2016-01-04", "--capital", "lots"], "not a number"),
    ],
)
def test_command_errors_are_clear(market, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("backtest", *args)
    assert BacktestRun.objects.count() == 0
