"""Backtests on the real daily bars of ../shared/data (skipped when the folder is absent)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import warnings
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

from strategies.engine import BacktestConfig, create_strategy, run_backtest
from tests.engine.helpers import load_market

ROOT = Path(__file__).resolve().parents[2]
START, END = "2010-02-11", "2020-07-02"


@pytest.fixture(scope="module")
def market() -> dict[str, pd.DataFrame]:
    return load_market("QQQ", "TQQQ", "TLT", "TMF", "PSQ")


@pytest.fixture(scope="module")
def v35b(market):
    return run_backtest(create_strategy("hierarchical_adaptive_v3_5b"), market, BacktestConfig(start=START, end=END))


def test_v35b_allocates_on_the_first_bar_after_warm_up_and_reports_every_day(v35b, market):
    assert v35b.data_range["first_tradable"] == pd.Timestamp(START).date()
    # the start is a cell-4 day whose bond leg (TMV) has no data: all cash, so the first trade is the
    # first day with a non-cash target, and that day is flagged as a rebalance
    first_invested = next(r for r in v35b.regime if any(w > 0 for s, w in r["target_weights"].items() if s != "cash"))
    assert v35b.regime[0]["target_weights"] == {"cash": 1.0}
    assert first_invested["rebalance"] is True
    assert v35b.fills[0]["date"] == first_invested["date"]
    days = len(market["TQQQ"].loc[START:END])
    assert len(v35b.equity_curve) == days == len(v35b.regime) == 2616
    assert {row["cell"] for row in v35b.regime} <= {1, 2, 3, 4, 5, 6}
    assert all(abs(sum(row["target_weights"].values()) - 1) < 1e-12 for row in v35b.regime)


def test_v35b_keeps_cash_where_tmv_has_no_data_and_says_so(v35b):
    assert any("TMV has no data" in w for w in v35b.warnings)
    assert not any(f["symbol"] == "TMV" for f in v35b.fills)
    bear_bond_days = [r for r in v35b.regime if r["cell"] in (4, 5, 6) and r["bond_trend"] == "Bear"]
    assert bear_bond_days and all("TMV" not in r["target_weights"] for r in bear_bond_days)


def test_v35b_books_consistent_money(v35b):
    for row in v35b.equity_curve:
        assert row["cash"] >= 0
        assert row["equity"] == row["cash"] + row["positions_value"]
        assert row["positions_value"] == sum((p["value"] for p in row["positions"].values()), D(0))
    buys = sum(f["value"] + f["commission"] for f in v35b.fills if f["side"] == "buy")
    sells = sum(f["value"] - f["commission"] for f in v35b.fills if f["side"] == "sell")
    assert v35b.equity_curve[-1]["cash"] == v35b.config.initial_capital - buys + sells


def test_v35b_rebalances_only_on_bars_flagged_for_it(v35b):
    fill_days = {f["date"] for f in v35b.fills}
    flagged = {r["date"] for r in v35b.regime if r["rebalance"]}
    assert fill_days <= flagged
    assert len(flagged) < len(v35b.regime) / 2  # the threshold keeps it from trading daily


def test_v35d_with_one_confirmation_day_reproduces_v35b(market, v35b):
    config = BacktestConfig(start=START, end=END)
    same = run_backtest(
        create_strategy("hierarchical_adaptive_v3_5d", {"cell1_exit_confirmation_days": 1}), market, config
    )
    assert same.regime == v35b.regime and same.fills == v35b.fills
    v35d = run_backtest(create_strategy("hierarchical_adaptive_v3_5d"), market, config)
    assert sum(r["cell"] == 1 for r in v35d.regime) >= sum(r["cell"] == 1 for r in v35b.regime)


def test_v35b_past_decisions_do_not_change_when_later_years_are_added(market, v35b):
    short = run_backtest(
        create_strategy("hierarchical_adaptive_v3_5b"), market, BacktestConfig(start=START, end="2015-12-31")
    )
    cut = pd.Timestamp("2015-12-31").date()
    assert short.equity_curve == [r for r in v35b.equity_curve if r["date"] <= cut]
    assert short.regime == [r for r in v35b.regime if r["date"] <= cut]


SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {root!r})
from tests.engine.helpers import load_market
from strategies.engine import BacktestConfig, create_strategy, run_backtest
data = load_market("QQQ", "TQQQ", "TLT", "TMF", "PSQ")
config = BacktestConfig(start="2018-01-02", end="2020-07-02")
r = run_backtest(create_strategy("hierarchical_adaptive_v3_5b"), data, config)
print(hashlib.sha256(json.dumps(r.to_dict(), sort_keys=True).encode()).hexdigest())
"""


def test_results_are_byte_identical_across_processes_with_different_hash_seeds(market):
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(root=str(ROOT))], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    in_process = run_backtest(
        create_strategy("hierarchical_adaptive_v3_5b"), market, BacktestConfig(start="2018-01-02", end="2020-07-02")
    )
    digests.add(hashlib.sha256(json.dumps(in_process.to_dict(), sort_keys=True).encode()).hexdigest())
    assert len(digests) == 1


def test_sma_crossover_matches_backtesting_py_to_the_cent(market):
    """Same semantics on both sides: close fills, no costs, whole shares, all-in sizing, 10,000 start.

    backtesting.py calls ``next`` from the bar after its indicators' first complete value, one bar later
    than our warm-up would allow; starting our run on that bar (earlier bars as warm-up) aligns them.
    """
    backtesting = pytest.importorskip("backtesting")

    def rolling_mean(values, n):
        return pd.Series(values).rolling(n).mean().to_numpy()

    class Cross(backtesting.Strategy):
        def init(self):
            self.fast = self.I(rolling_mean, self.data.Close, 40)
            self.slow = self.I(rolling_mean, self.data.Close, 140)

        def next(self):
            if self.fast[-1] > self.slow[-1]:
                if not self.position:
                    self.buy(size=int(self.equity // self.data.Close[-1]))
            elif self.position:
                self.position.close()

    qqq = market["QQQ"]
    peer_data = qqq.rename(columns=str.capitalize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = backtesting.Backtest(peer_data, Cross, cash=10_000, commission=0, trade_on_close=True).run()
    first_peer_day = qqq.index[140].date()
    config = BacktestConfig(initial_capital=10_000, commission_per_share=0, slippage=0, start=first_peer_day)
    ours = run_backtest(create_strategy("sma_crossover", {"fast": 40, "slow": 140}), {"QQQ": qqq}, config)
    assert abs(float(ours.final_equity) - peer["Equity Final [$]"]) < 0.01
    assert [t["qty"] for t in ours.trades] == peer._trades["Size"].tolist()[: len(ours.trades)]
    # Both measure returns from the 10,000 of capital: the same total return; CAGR from the same growth, each over
    # its own years (backtesting.py counts from its first bar, warm-up included; ours from the first row)
    from strategies.engine.analyzer import analyze_performance

    metrics = analyze_performance(**ours.analyzer_inputs())
    assert metrics.total_return == pytest.approx(peer["Return [%]"] / 100, abs=1e-6)
    growth = 1 + peer["Return [%]"] / 100
    peer_years = (peer["End"] - peer["Start"]).days / 365.25
    assert peer["CAGR [%]"] / 100 == pytest.approx(growth ** (1 / peer_years) - 1, rel=1e-9)
    assert metrics.cagr == pytest.approx(growth ** (365.25 / metrics.calendar_days) - 1, rel=1e-6)


def test_returns_are_measured_from_the_initial_capital_not_the_first_days_equity(market):
    """SMA 40/140 with the default costs from 2010-02-11: the first day's buy costs commission and slippage, so
    the first row is below the capital; total return and CAGR still start at the capital."""
    config = BacktestConfig(initial_capital=10_000, start="2010-02-11", end="2020-07-02")
    result = run_backtest(create_strategy("sma_crossover", {"fast": 40, "slow": 140}), {"QQQ": market["QQQ"]}, config)
    from strategies.engine.analyzer import analyze_performance

    metrics = analyze_performance(**result.analyzer_inputs())
    first, final = float(result.equity_curve[0]["equity"]), float(result.final_equity)
    assert first < 10_000 and result.fills[0]["date"] == result.equity_curve[0]["date"]
    assert metrics.initial_capital == 10_000 and metrics.start_equity == first
    assert metrics.total_return == pytest.approx(final / 10_000 - 1, rel=1e-12)
    assert metrics.cagr == pytest.approx((final / 10_000) ** (365.25 / metrics.calendar_days) - 1, rel=1e-12)
    assert abs(metrics.total_return - (final / first - 1)) > 1e-3  # the base really matters here


def test_the_result_feeds_the_performance_analyzer_directly(v35b):
    from strategies.engine.analyzer import analyze_performance

    metrics = analyze_performance(**v35b.analyzer_inputs())
    final, initial = float(v35b.final_equity), float(v35b.config.initial_capital)
    assert metrics.total_return == pytest.approx(final / initial - 1, rel=1e-12)  # from the capital
    assert final > initial
    assert len(v35b.regime_cells()) == len(v35b.equity_curve)
