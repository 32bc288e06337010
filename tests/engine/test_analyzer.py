"""Performance analyzer: cross-checked against empyrical-reloaded and quantstats, edge cases, golden values.

Reference libraries get pandas Series of the same daily returns (never tickers). Where the analyzer
deliberately differs (calendar-day CAGR, compound alpha, recovery factor, drawdown duration), the test
states the relation instead of equality.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import empyrical
import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from strategies.engine.analyzer import analyze_performance, equity_returns
from tests.data import shared_market_dir

REL = 1e-9
RF = 0.04
RF_DAILY = (1 + RF) ** (1 / 252) - 1


def close(actual: float | None, expected: float) -> bool:
    """Equal to 1e-9 relative (both exactly zero also counts)."""
    return actual is not None and math.isclose(actual, expected, rel_tol=REL, abs_tol=0.0)


def qqq_closes(first: str = "2010-02-11", last: str = "2020-07-02", column: str = "Close") -> pd.Series:
    """Real QQQ closes from the shared folder (the incomplete last row, with null close, is dropped)."""
    frame = pd.read_csv(shared_market_dir() / "QQQ.csv", parse_dates=["Date"], na_values="null")
    series = frame.dropna(subset=[column]).set_index("Date")[column]
    return series.loc[first:last].astype(float)


def synthetic_curve(seed: int, days: int = 800, drift: float = 0.0004, vol: float = 0.012) -> pd.Series:
    """A random-walk equity curve on weekdays, starting at 100,000."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(drift, vol, days - 1)
    equity = 100_000 * np.concatenate(([1.0], np.cumprod(1 + returns)))
    return pd.Series(equity, index=pd.bdate_range("2015-01-02", periods=days))


def curves():
    yield pytest.param(lambda: qqq_closes() * 1000, lambda: qqq_closes(column="Adj Close") * 1000, id="qqq-real")
    yield pytest.param(lambda: synthetic_curve(1), lambda: synthetic_curve(2, vol=0.01), id="synthetic")
    yield pytest.param(
        lambda: synthetic_curve(3, days=300, drift=-0.002, vol=0.02),
        lambda: synthetic_curve(4, days=300),
        id="synthetic-losing",
    )


@pytest.mark.parametrize(("make_curve", "make_baseline"), list(curves()))
def test_return_and_risk_metrics_match_empyrical_and_quantstats(make_curve, make_baseline):
    curve = make_curve()
    metrics = analyze_performance(curve, risk_free_rate=RF)
    returns = equity_returns(curve)

    assert len(returns) == len(curve) - 1
    assert close(metrics.total_return, empyrical.cum_returns_final(returns))
    assert close(metrics.volatility, empyrical.annual_volatility(returns))
    assert close(metrics.volatility, qs.stats.volatility(returns))
    assert close(metrics.sharpe, empyrical.sharpe_ratio(returns, risk_free=RF_DAILY))
    assert close(metrics.sharpe, qs.stats.sharpe(returns, rf=RF, periods=252))
    assert close(metrics.sortino, empyrical.sortino_ratio(returns, required_return=RF_DAILY))
    assert close(metrics.sortino, qs.stats.sortino(returns, rf=RF, periods=252))
    assert close(metrics.max_drawdown, empyrical.max_drawdown(returns))
    assert close(metrics.max_drawdown, qs.stats.max_drawdown(returns))
    assert close(metrics.var_95, empyrical.value_at_risk(returns, cutoff=0.05))
    assert close(metrics.cvar_95, empyrical.conditional_value_at_risk(returns, cutoff=0.05))
    # Continuous returns have no ties at the VaR, so quantstats' historical CVaR agrees too.
    assert close(metrics.cvar_95, qs.stats.cvar(returns, method="historical"))
    assert close(metrics.best_day, qs.stats.best(returns))
    assert close(metrics.worst_day, qs.stats.worst(returns))


@pytest.mark.parametrize(("make_curve", "make_baseline"), list(curves()))
def test_calendar_day_cagr_and_calmar_equal_references_given_the_same_year_length(make_curve, make_baseline):
    """Deliberate difference: years = calendar days / 365.25, not return rows / 252 as in the references."""
    curve = make_curve()
    metrics = analyze_performance(curve)
    returns = equity_returns(curve)
    periods = len(returns) * 365.25 / metrics.calendar_days  # makes the references' year equal ours

    assert close(metrics.cagr, empyrical.cagr(returns, annualization=periods))
    assert close(metrics.cagr, qs.stats.cagr(returns, periods=periods))
    assert close(metrics.calmar, empyrical.calmar_ratio(returns, annualization=periods))
    assert close(metrics.calmar, qs.stats.calmar(returns, periods=periods))
    assert not close(metrics.cagr, empyrical.cagr(returns))  # the default conventions really differ


@pytest.mark.parametrize(("make_curve", "make_baseline"), list(curves()))
def test_beta_and_alpha_match_empyrical_and_quantstats_beta(make_curve, make_baseline):
    curve, baseline = make_curve(), make_baseline()
    metrics = analyze_performance(curve, baseline_curve=baseline, risk_free_rate=RF)
    returns, baseline_returns = equity_returns(curve), equity_returns(baseline)

    expected_alpha, expected_beta = empyrical.alpha_beta(returns, baseline_returns, risk_free=RF_DAILY)
    assert close(metrics.beta, expected_beta)
    assert close(metrics.alpha, expected_alpha)
    greeks = qs.stats.greeks(returns, baseline_returns)
    assert close(metrics.beta, analyze_performance(curve, baseline_curve=baseline).beta)  # rf cancels in beta
    assert close(metrics.beta, greeks["beta"])
    # quantstats annualises alpha simply (× 252); ours compounds the same daily alpha (rf = 0 there).
    alpha_no_rf = analyze_performance(curve, baseline_curve=baseline).alpha
    assert close(alpha_no_rf, (1 + greeks["alpha"] / 252) ** 252 - 1)
    assert close(metrics.baseline_total_return, empyrical.cum_returns_final(baseline_returns))


@pytest.mark.parametrize(("make_curve", "make_baseline"), list(curves()))
def test_with_an_initial_capital_total_return_and_cagr_start_from_it_and_the_daily_series_stays(
    make_curve, make_baseline
):
    """Total return and CAGR are measured from the capital the run started with, before the first row's fills
    (backtrader's and backtesting.py's convention). For the references, the first row's change from the capital
    is one more return in front of the daily series; the CAGR's years still run from the first row's date."""
    curve, baseline = make_curve(), make_baseline()
    capital = float(curve.iloc[0]) / 0.99877  # the first day's fills and costs took 0.123 % off the capital
    plain = analyze_performance(curve, baseline_curve=baseline, risk_free_rate=RF)
    metrics = analyze_performance(curve, baseline_curve=baseline, initial_capital=capital, risk_free_rate=RF)
    returns = equity_returns(curve)
    from_capital = pd.Series([curve.iloc[0] / capital - 1.0, *returns.to_list()])

    assert close(metrics.total_return, empyrical.cum_returns_final(from_capital))
    periods = len(from_capital) * 365.25 / metrics.calendar_days
    assert close(metrics.cagr, empyrical.cagr(from_capital, annualization=periods))
    assert close(metrics.calmar, metrics.cagr / abs(metrics.max_drawdown))
    assert close(metrics.recovery_factor, metrics.total_return / abs(metrics.max_drawdown))
    assert close(metrics.baseline_total_return, float(baseline.iloc[-1]) / capital - 1.0)  # same capital
    assert (metrics.initial_capital, metrics.start_equity) == (capital, float(curve.iloc[0]))
    assert not close(metrics.total_return, plain.total_return)
    daily = ("volatility", "sharpe", "sortino", "max_drawdown", "var_95", "cvar_95", "best_day", "worst_day")
    for name in (*daily, "beta", "alpha", "exposure", "calendar_days", "trading_days", "current_drawdown"):
        assert getattr(metrics, name) == getattr(plain, name), name
    # without a capital the base is the first row, as before
    assert plain.initial_capital == plain.start_equity == float(curve.iloc[0])


def test_recovery_factor_uses_compounded_total_return_unlike_quantstats_sum_of_returns():
    curve = synthetic_curve(5)
    metrics = analyze_performance(curve)
    returns = equity_returns(curve)

    assert close(metrics.recovery_factor, metrics.total_return / abs(metrics.max_drawdown))
    assert close(qs.stats.recovery_factor(returns), abs(returns.sum()) / abs(metrics.max_drawdown))
    assert not close(metrics.recovery_factor, qs.stats.recovery_factor(returns))


def test_exposure_without_positions_is_share_of_nonzero_returns_like_quantstats_before_rounding():
    curve = synthetic_curve(6, days=200)
    curve.iloc[50:90] = curve.iloc[49]  # 40 flat days: in cash
    metrics = analyze_performance(curve)
    returns = equity_returns(curve)

    assert metrics.exposure == pytest.approx((199 - 40) / 199, rel=REL)
    assert math.ceil(metrics.exposure * 100) / 100 == qs.stats.exposure(returns)


def test_exposure_with_positions_counts_days_held_from_the_previous_close():
    days = pd.bdate_range("2024-01-01", periods=5)
    curve = pd.Series([100.0, 101.0, 102.0, 101.0, 103.0], index=days)
    positions = pd.Series([0.0, 50.0, 50.0, 0.0, 0.0], index=days)

    # Returns 1..4 are held from rows 0..3: positions 0, 50, 50, 0 → invested on 2 of 4 days.
    assert analyze_performance(curve, positions_value=positions).exposure == 0.5


def test_max_drawdown_dates_and_durations_on_real_qqq_closes_are_pinned():
    """Golden values on QQQ closes 2010-02-11 … 2020-07-02 (the reference window)."""
    metrics = analyze_performance(qqq_closes())

    assert metrics.trading_days == 2616
    assert metrics.max_drawdown_peak_date == date(2020, 2, 19)
    assert metrics.max_drawdown_trough_date == date(2020, 3, 16)
    assert metrics.max_drawdown_recovery_date == date(2020, 6, 5)
    assert metrics.longest_drawdown_days == 241  # 2015-12-01 peak → 2016-07-29 recovery
    assert metrics.total_return == pytest.approx(4.77490298946201, rel=REL)
    assert metrics.cagr == pytest.approx(0.18389785247030788, rel=REL)
    assert metrics.sharpe == pytest.approx(0.9680238490432606, rel=REL)
    assert metrics.sortino == pytest.approx(1.3671605586019484, rel=REL)
    assert metrics.max_drawdown == pytest.approx(-0.28559369627130893, rel=REL)
    assert metrics.average_drawdown == pytest.approx(-0.022407521614044475, rel=REL)
    deepest = qs.stats.drawdown_details(qs.stats.to_drawdown_series(equity_returns(qqq_closes())))
    deepest = deepest.sort_values("max drawdown").iloc[0]
    assert deepest["valley"] == metrics.max_drawdown_trough_date.isoformat()
    assert deepest["max drawdown"] / 100 == pytest.approx(metrics.max_drawdown, rel=REL)


def test_drawdown_episodes_give_average_depth_and_longest_duration_until_recovery_or_the_end():
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(8)]
    equity = [100, 90, 100, 110, 99, 88, 100, 105]  # episodes: −10% (1 → 2), −20% (4 → 7 still under)
    metrics = analyze_performance(list(zip(days, equity, strict=True)))

    assert metrics.max_drawdown == pytest.approx(-0.2)
    assert metrics.max_drawdown_peak_date == days[3]
    assert metrics.max_drawdown_trough_date == days[5]
    assert metrics.max_drawdown_recovery_date is None
    assert metrics.average_drawdown == pytest.approx((-0.1 - 0.2) / 2)
    assert metrics.longest_drawdown_days == 4  # peak day 3 → last row day 7, not recovered
    assert metrics.current_drawdown == pytest.approx(105 / 110 - 1)
    assert metrics.high_water_mark == 110


@dataclass
class Trade:
    pnl: Decimal
    entry_date: date
    exit_date: date
    ret: float


def test_trade_statistics_from_objects_dicts_and_numbers_agree_with_quantstats_on_the_pnls():
    pnls = [120.0, -40.0, 75.5, -10.0, 300.0, -65.25]
    as_objects = [Trade(Decimal(str(p)), date(2024, 1, 1), date(2024, 1, 5), 0.01) for p in pnls]
    as_dicts = [{"pnl": p, "entry_date": "2024-01-01", "exit_date": "2024-01-05", "return": 0.01} for p in pnls]
    curve = synthetic_curve(7, days=30)
    by_object = analyze_performance(curve, trades=as_objects)
    series = pd.Series(pnls)

    assert by_object == analyze_performance(curve, trades=as_dicts) == analyze_performance(curve, trades=pnls)
    assert (by_object.total_trades, by_object.winning_trades, by_object.losing_trades) == (6, 3, 3)
    assert close(by_object.win_rate, qs.stats.win_rate(series))
    assert close(by_object.profit_factor, qs.stats.profit_factor(series))
    assert close(by_object.avg_win, qs.stats.avg_win(series))
    assert close(by_object.avg_loss, qs.stats.avg_loss(series))
    assert close(by_object.expectancy, sum(pnls) / 6)


def test_profit_factor_is_infinite_with_wins_and_no_losses_and_serialises_as_the_string_inf():
    metrics = analyze_performance(synthetic_curve(8, days=10), trades=[10.0, 0.0, 5.0])
    payload = json.loads(json.dumps(metrics.as_dict(), allow_nan=False))

    assert metrics.profit_factor == math.inf
    assert payload["profit_factor"] == "inf"
    assert metrics.win_rate == pytest.approx(2 / 3)  # the break-even trade counts, neither win nor loss
    assert metrics.avg_loss is None


def test_profit_factor_is_zero_when_every_trade_lost_and_undefined_without_trades_or_with_only_break_evens():
    curve = synthetic_curve(9, days=10)
    all_losses = analyze_performance(curve, trades=[-1.0, -2.0])
    no_trades = analyze_performance(curve)
    break_even = analyze_performance(curve, trades=[0.0])

    assert all_losses.profit_factor == 0.0
    assert all_losses.win_rate == 0.0
    assert all_losses.avg_win is None
    assert all_losses.avg_loss == -1.5
    assert no_trades.total_trades == 0
    assert (no_trades.win_rate, no_trades.profit_factor, no_trades.expectancy) == (None, None, None)
    assert break_even.profit_factor is None
    assert break_even.expectancy == 0.0


def test_regime_cells_attribute_each_days_return_to_the_previous_rows_cell():
    days = pd.bdate_range("2024-01-01", periods=5)
    curve = pd.Series([100.0, 110.0, 99.0, 99.0, 108.9], index=days)
    baseline = pd.Series([50.0, 51.0, 52.0, 53.0, 54.0], index=days)
    cells = [None, 1, 1, 3, 4]  # warm-up row, then cells; the last row's cell earns nothing yet
    metrics = analyze_performance(curve, baseline_curve=baseline, regime_cells=cells)
    by_cell = {stats.cell: stats for stats in metrics.regime_cells}

    assert sorted(by_cell) == [1, 3]
    assert by_cell[1].days == 2
    assert by_cell[1].strategy_return == pytest.approx(99 / 110 - 1)  # 110 → 99 → 99
    assert by_cell[1].baseline_return == pytest.approx(53 / 51 - 1)
    assert by_cell[3].days == 1
    assert by_cell[3].strategy_return == pytest.approx(0.1)
    assert metrics.as_dict()["regime_cells"][0] == {
        "cell": 1,
        "days": 2,
        "strategy_return": by_cell[1].strategy_return,
        "baseline_return": by_cell[1].baseline_return,
    }


@pytest.mark.parametrize("points", [0, 1])
def test_fewer_than_two_points_give_defined_values_without_nan(points):
    curve = [(date(2024, 1, 2), Decimal("1000"))][:points]
    metrics = analyze_performance(curve, baseline_curve=curve, regime_cells=[3] * points, trades=[])
    payload = metrics.as_dict()

    json.dumps(payload, allow_nan=False)
    assert metrics.trading_days == points
    assert metrics.total_return == (0.0 if points else None)
    assert metrics.max_drawdown == (0.0 if points else None)
    assert (metrics.sharpe, metrics.volatility, metrics.cagr, metrics.calmar, metrics.beta) == (None,) * 5
    assert metrics.var_95 is None
    assert metrics.longest_drawdown_days == 0
    assert metrics.regime_cells == ()


def test_two_points_give_one_return_but_no_dispersion_statistics():
    metrics = analyze_performance([("2024-01-02", 100), ("2024-01-03", 101)])

    assert metrics.best_day == metrics.worst_day == metrics.var_95 == metrics.cvar_95 == pytest.approx(0.01)
    assert (metrics.volatility, metrics.sharpe, metrics.sortino) == (None, None, None)
    assert metrics.cagr == pytest.approx(1.01**365.25 - 1)


def test_flat_equity_has_zero_volatility_and_undefined_ratios_instead_of_nan_or_infinity():
    curve = pd.Series(10_000.0, index=pd.bdate_range("2024-01-01", periods=30))
    constant_baseline = curve * 2
    metrics = analyze_performance(curve, baseline_curve=constant_baseline, risk_free_rate=RF)

    assert metrics.volatility == 0.0
    assert metrics.sharpe is None
    assert metrics.max_drawdown == 0.0
    assert (metrics.calmar, metrics.recovery_factor, metrics.max_drawdown_peak_date) == (None, None, None)
    assert (metrics.beta, metrics.alpha) == (None, None)
    assert metrics.sortino is not None and metrics.sortino < 0  # every day is below the risk-free rate
    assert analyze_performance(curve).sortino is None  # no downside at rf = 0
    assert metrics.exposure == 0.0
    json.dumps(metrics.as_dict(), allow_nan=False)


def test_a_curve_that_only_rises_has_no_drawdown_and_undefined_sortino_and_calmar():
    curve = pd.Series(np.linspace(100, 200, 50), index=pd.bdate_range("2024-01-01", periods=50))
    metrics = analyze_performance(curve)

    assert metrics.max_drawdown == 0.0
    assert metrics.average_drawdown == 0.0
    assert (metrics.sortino, metrics.calmar, metrics.recovery_factor) == (None, None, None)
    assert metrics.sharpe is not None and metrics.sharpe > 0


def test_as_dict_writes_dates_as_iso_strings_and_is_strict_json():
    metrics = analyze_performance(qqq_closes("2020-01-01", "2020-12-31"), trades=[1.0])
    payload = json.loads(json.dumps(metrics.as_dict(), allow_nan=False))

    assert payload["start_date"] == "2020-01-02"
    assert payload["max_drawdown_trough_date"] == "2020-03-16"
    assert payload["profit_factor"] == "inf"
    assert set(payload) >= {"sharpe", "sortino", "calmar", "var_95", "cvar_95", "alpha", "beta", "regime_cells"}


def test_the_same_date_twice_is_rejected_so_no_day_counts_twice():
    with pytest.raises(ValueError, match="strictly increasing"):
        analyze_performance([("2024-01-02", 100.0), ("2024-01-02", 101.0), ("2024-01-03", 102.0)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"equity_curve": [("2024-01-02", 0)]}, "must be > 0"),
        ({"equity_curve": [("2024-01-02", float("nan"))]}, "not finite"),
        ({"equity_curve": [("2024-01-03", 1), ("2024-01-02", 2)]}, "not after"),
        ({"equity_curve": [("soon", 1)]}, "not a date"),
        ({"equity_curve": [("2024-01-02", 1)], "baseline_curve": [("2024-01-03", 1)]}, "baseline_curve"),
        ({"equity_curve": [("2024-01-02", 1)], "regime_cells": [1, 2]}, "one per equity row"),
        ({"equity_curve": [("2024-01-02", 1), ("2024-01-03", 1)], "regime_cells": [1.5, 2]}, "integer cell"),
        ({"equity_curve": [("2024-01-02", 1)], "risk_free_rate": -2}, "risk_free_rate"),
        ({"equity_curve": [("2024-01-02", 1)], "trades": [{"profit": 1}]}, "no 'pnl'"),
        ({"equity_curve": [("2024-01-02", 1)], "initial_capital": 0}, "initial_capital"),
    ],
)
def test_malformed_input_is_refused_with_a_message_saying_what_to_fix(kwargs, message):
    equity_curve = kwargs.pop("equity_curve")
    with pytest.raises(ValueError, match=message):
        analyze_performance(equity_curve, **kwargs)


def test_decimal_and_float_inputs_and_series_and_pairs_give_identical_metrics():
    curve = qqq_closes("2019-01-01", "2019-12-31")
    as_decimal_pairs = [(ts.date(), Decimal(str(value))) for ts, value in curve.items()]

    assert analyze_performance(curve, risk_free_rate=RF) == analyze_performance(as_decimal_pairs, risk_free_rate=RF)
