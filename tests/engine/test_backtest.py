"""Backtest loop: fill and snapshot conventions, warm-up, late symbols, orders, errors, determinism."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pandas as pd
import pytest

from strategies.engine import (
    BacktestConfig,
    BacktestConfigError,
    DataError,
    Strategy,
    create_strategy,
    run_backtest,
)
from tests.engine.helpers import bars, random_walk


class Scripted(Strategy):
    """Test strategy: returns ``targets`` on the first tradable bar (or every bar), records what it saw."""

    class_id = "test_scripted"

    def __init__(self, targets, symbols=("A",), warmup=1, every_bar=False, orders=None):
        super().__init__()
        self.targets, self._symbols, self._warmup, self.every_bar = targets, tuple(symbols), warmup, every_bar
        self.orders_by_bar = orders or {}
        self.seen: list[tuple] = []
        self.n = 0

    @property
    def required_symbols(self):
        return self._symbols

    @property
    def warmup_bars(self):
        return self._warmup

    def on_bar(self, bar):
        history = bar.history(self._symbols[0])
        self.seen.append(
            (bar.date, bar.tradable, bar.first_tradable, len(history), history[-1] if len(history) else None)
        )
        if not bar.tradable:
            return None
        self.n += 1
        for side, symbol, pct in self.orders_by_bar.get(self.n, ()):
            getattr(self, side)(symbol, pct)
        if self.every_bar or bar.first_tradable:
            return self.targets
        return None


def no_costs(**kw):
    return BacktestConfig(commission_per_share=0, slippage=0, baseline_symbol=None, **kw)


# ------------------------------------------------------------------ fills and snapshots


def test_close_fill_pays_slippage_and_commission_and_the_snapshot_marks_to_the_close():
    result = run_backtest(
        Scripted({"A": 1.0}), {"A": bars([10, 11, 12])}, BacktestConfig(initial_capital=1000, baseline_symbol=None)
    )
    # floor(1000 / 10) = 100 wanted; 100 × 10.01 + 1.00 > 1000, so floor(1000 / 10.02) = 99 are bought
    assert [(f["side"], f["qty"], f["price"], f["commission"]) for f in result.fills] == [
        ("buy", 99, D("10.010000"), D("0.990000"))
    ]
    first, second, third = result.equity_curve
    assert first["cash"] == D("8.020000")
    assert first["equity"] == D("998.020000")  # 8.02 + 99 × 10
    assert first["positions"] == {"A": {"qty": 99, "value": D("990.000000")}}
    assert second["equity"] == D("8.02") + 99 * D("11")
    assert third["positions_value"] == 99 * D("12")
    assert any("reduced to fit the available cash" in w for w in result.warnings)


def test_next_open_fills_at_the_following_bars_open():
    data = {"A": bars([10, 11, 12], opens=[9.5, 10.5, 11.5])}
    result = run_backtest(
        Scripted({"A": 1.0}), data, BacktestConfig(initial_capital=1000, fill="next_open", baseline_symbol=None)
    )
    (fill,) = result.fills
    assert fill["date"] == result.equity_curve[1]["date"]
    assert (fill["qty"], fill["price"]) == (95, D("10.510500"))  # floor(1000 / 10.5), at 10.5 × 1.001
    assert result.equity_curve[0]["equity"] == D("1000")
    assert result.equity_curve[1]["cash"] == D("1000") - 95 * D("10.5105") - D("0.95")


def test_a_decision_on_the_last_bar_with_next_open_fills_is_reported_unfilled():
    result = run_backtest(Scripted({"A": 1.0}), {"A": bars([10])}, no_costs(fill="next_open"))
    assert result.fills == []
    assert any("were not filled" in w for w in result.warnings)


def test_per_trade_commission_is_charged_once_per_fill():
    config = BacktestConfig(
        initial_capital=1000, commission_per_share=0, commission_per_trade=2, slippage=0, baseline_symbol=None
    )
    result = run_backtest(Scripted({"A": 0.5}), {"A": bars([10, 10])}, config)
    assert [(f["qty"], f["commission"]) for f in result.fills] == [(50, D("2.000000"))]
    assert result.equity_curve[0]["cash"] == D("498")


# ------------------------------------------------------------------ warm-up and the calendar


def test_bars_before_the_start_feed_the_strategy_but_never_trade():
    data = {"A": bars(range(10, 40))}
    start = data["A"].index[10].date()
    strategy = Scripted({"A": 1.0}, warmup=5)
    result = run_backtest(strategy, data, no_costs(start=start))
    assert [s[1] for s in strategy.seen[:10]] == [False] * 10
    assert strategy.seen[10][:4] == (start, True, True, 11)
    assert result.equity_curve[0]["date"] == start
    assert [f["date"] for f in result.fills] == [start]
    assert result.data_range["first_bar"] == data["A"].index[0].date()


def test_trading_waits_for_the_warm_up_when_history_before_the_start_is_short():
    data = {"A": bars(range(10, 40))}
    start = data["A"].index[5].date()
    result = run_backtest(Scripted({"A": 1.0}, warmup=20), data, no_costs(start=start))
    assert result.data_range["first_tradable"] == data["A"].index[19].date()
    assert result.fills[0]["date"] == data["A"].index[19].date()
    assert any("trading began on" in w for w in result.warnings)


def test_a_symbol_starting_later_is_not_traded_before_its_first_bar():
    a = bars([10.0] * 10)
    b = bars([20.0] * 5, start=a.index[5].strftime("%Y-%m-%d"))
    strategy = Scripted({"A": 0.5, "B": 0.5}, symbols=("A", "B"), every_bar=True)
    result = run_backtest(strategy, {"A": a, "B": b}, no_costs(initial_capital=1000))
    assert [(f["date"], f["symbol"], f["qty"]) for f in result.fills] == [
        (a.index[0].date(), "A", 50),
        (a.index[5].date(), "B", 25),
    ]
    assert any("B has not started yet" in w for w in result.warnings)
    assert result.data_range["symbols"]["B"]["first"] == a.index[5].date()


def test_bars_after_the_end_date_are_never_seen():
    data = {"A": bars(range(10, 30))}
    end = data["A"].index[9].date()
    strategy = Scripted({"A": 1.0})
    result = run_backtest(strategy, data, no_costs(end=end))
    assert strategy.seen[-1][0] == end
    assert result.equity_curve[-1]["date"] == end and result.bars_processed == 10


def test_the_strategy_sees_history_only_up_to_the_current_bar():
    data = {"A": random_walk(50)}
    strategy = Scripted({}, every_bar=True)
    run_backtest(strategy, data, no_costs())
    closes = data["A"]["close"].tolist()
    for i, (_date, _tradable, _first, length, last) in enumerate(strategy.seen):
        assert length == i + 1 and last == closes[i]


# ------------------------------------------------------------------ orders by portfolio percent


def test_buy_raises_a_holding_to_a_percent_of_equity_and_sell_sells_a_fraction_of_it():
    orders = {1: [("buy", "A", 0.5)], 2: [("buy", "A", 0.25)], 3: [("sell", "A", 0.5)], 4: [("sell", "A", 1.0)]}
    strategy = Scripted({}, orders=orders)
    result = run_backtest(strategy, {"A": bars([10] * 5)}, no_costs(initial_capital=1000))
    # buy 50% → 50 shares; buy 25% does not sell; sell half → 25; sell all → 25
    assert [(f["side"], f["qty"]) for f in result.fills] == [("buy", 50), ("sell", 25), ("sell", 25)]
    assert result.equity_curve[-1]["positions"] == {}


def test_buying_more_than_the_cash_allows_never_makes_cash_negative():
    data = {"A": random_walk(120, seed=1), "B": random_walk(120, seed=2)}
    strategy = Scripted({"A": 0.5, "B": 0.5}, symbols=("A", "B"), every_bar=True)
    result = run_backtest(strategy, data, BacktestConfig(initial_capital=5000, slippage="0.01", baseline_symbol=None))
    assert all(row["cash"] >= 0 for row in result.equity_curve)
    assert len(result.fills) > 2


# ------------------------------------------------------------------ baseline


def test_baseline_buys_and_holds_its_symbol_with_the_whole_capital():
    data = {"A": bars([10, 12, 9]), "QQQ": bars([100, 110, 120])}
    result = run_backtest(Scripted({}), data, BacktestConfig(initial_capital=1000, commission_per_share=0, slippage=0))
    assert [row["equity"] for row in result.baseline_curve] == [D("1000"), D("1100"), D("1200")]
    assert result.baseline_curve[0]["positions"] == {"QQQ": {"qty": 10, "value": D("1000")}}
    series = result.baseline_series()
    assert series.iloc[-1] == 1200.0 and isinstance(series.index, pd.DatetimeIndex)


def test_a_missing_baseline_symbol_is_reported_not_fatal():
    result = run_backtest(Scripted({"A": 1.0}), {"A": bars([10, 11])}, BacktestConfig(baseline_symbol="SPY"))
    assert result.baseline_curve == [] and any("baseline SPY" in w for w in result.warnings)


# ------------------------------------------------------------------ input errors


def test_missing_required_symbol_is_a_data_error_naming_it():
    with pytest.raises(DataError, match="TQQQ"):
        run_backtest(create_strategy("hierarchical_adaptive_v3_5b"), {"QQQ": bars([10, 11])})


def test_unsorted_or_incomplete_bars_are_rejected():
    frame = bars([10, 11, 12])
    with pytest.raises(DataError, match="strictly increasing"):
        run_backtest(Scripted({}), {"A": frame.iloc[::-1]}, no_costs())
    broken = frame.copy()
    broken.iloc[1, broken.columns.get_loc("close")] = float("nan")
    with pytest.raises(DataError, match="missing or non-positive close"):
        run_backtest(Scripted({}), {"A": broken}, no_costs())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fill": "vwap"}, "fill"),
        ({"slippage": "-0.1"}, "slippage"),
        ({"initial_capital": 0}, "initial_capital"),
        ({"start": "2021-02-01", "end": "2021-01-01"}, "after end"),
        ({"start": "someday"}, "start"),
    ],
)
def test_invalid_settings_are_rejected_naming_the_setting(kwargs, message):
    with pytest.raises(BacktestConfigError, match=message):
        BacktestConfig(**kwargs)


# ------------------------------------------------------------------ determinism and no lookahead


def synthetic_universe(n: int) -> dict[str, pd.DataFrame]:
    return {s: random_walk(n, seed=i + 11) for i, s in enumerate(["QQQ", "TQQQ", "TLT", "TMF", "TMV"])}


@pytest.mark.parametrize("class_id", ["sma_crossover", "macd_trend", "hierarchical_adaptive_v3_5b"])
def test_appending_future_bars_never_changes_past_results(class_id):
    data = synthetic_universe(900)
    cut = data["QQQ"].index[599].date()
    params = {"fast": 10, "slow": 30} if class_id == "sma_crossover" else {}
    short = run_backtest(create_strategy(class_id, params), data, BacktestConfig(end=cut))
    full = run_backtest(create_strategy(class_id, params), data, BacktestConfig())
    assert len(short.fills) > 0
    upto = [r for r in full.equity_curve if r["date"] <= cut]
    assert upto == short.equity_curve
    assert [f for f in full.fills if f["date"] <= cut] == short.fills
    assert [r for r in full.regime if r["date"] <= cut] == short.regime


def test_same_inputs_give_byte_identical_results():
    data = synthetic_universe(500)
    dumps = [
        json.dumps(run_backtest(create_strategy("hierarchical_adaptive_v3_5b"), data).to_dict(), sort_keys=True)
        for _ in range(2)
    ]
    assert dumps[0] == dumps[1]
    assert '"regime": [{' in dumps[0]


def test_results_convert_to_floats_for_the_analyzer():
    result = run_backtest(
        create_strategy("sma_crossover", {"fast": 5, "slow": 20}), {"QQQ": random_walk(100)}, BacktestConfig()
    )
    series = result.equity_series()
    assert series.dtype == float and len(series) == 100
    assert series.index[0] == pd.Timestamp(result.equity_curve[0]["date"])
    assert list(result.trades_frame().columns)[:3] == ["symbol", "entry_date", "exit_date"]
    assert isinstance(result.final_equity, D)
    assert result.data_range["start"] == dt.date(2000, 1, 3)


def test_indicator_views_are_cut_at_the_current_bar_and_read_only():
    from strategies.engine.indicators import sma

    class Peek(Scripted):
        def on_bar(self, bar):
            view = bar.indicator("A", sma, 3)
            self.seen.append((len(view), bar.value("A", sma, 3), view.flags.writeable))

    strategy = Peek({})
    run_backtest(strategy, {"A": bars([1.0, 2.0, 3.0, 4.0, 5.0])}, no_costs())
    assert [s[0] for s in strategy.seen] == [1, 2, 3, 4, 5]
    assert [s[1] for s in strategy.seen][2:] == [2.0, 3.0, 4.0]
    assert not any(s[2] for s in strategy.seen)
