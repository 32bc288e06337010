"""Incremental daily KPIs: equal to the analyzer's full recomputation every day, pure, replayable."""

from __future__ import annotations

import copy
import json
import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from strategies.engine.analyzer import analyze_performance
from strategies.engine.kpi import DailyKpis, KpiState, kpi_update
from tests.data import shared_market_dir

REL = 1e-9
RF = 0.03

# DailyKpis field → PerformanceMetrics field of the full recomputation.
SAME_AS_ANALYZER = {
    "cumulative_return": "total_return",
    "drawdown": "current_drawdown",
    "high_water_mark": "high_water_mark",
    "max_drawdown": "max_drawdown",
    "volatility": "volatility",
    "sharpe": "sharpe",
    "sortino": "sortino",
    "calmar": "calmar",
    "cagr": "cagr",
    "trading_days_count": "trading_days",
    "total_trades": "total_trades",
    "winning_trades": "winning_trades",
    "losing_trades": "losing_trades",
    "win_rate": "win_rate",
}


def qqq_equity_with_gaps(seed: int = 11) -> pd.Series:
    """≥ 2,600 rows of equity from real QQQ closes 2010–2020, with random missing days and one 2-week hole."""
    frame = pd.read_csv(shared_market_dir() / "QQQ.csv", parse_dates=["Date"], na_values="null")
    closes = frame.dropna(subset=["Close"]).set_index("Date")["Close"].loc["2010-01-01":"2020-12-31"]
    keep = np.random.default_rng(seed).random(len(closes)) > 0.03  # ~3% of days missing
    keep[1000:1010] = False  # a two-week gap
    equity = closes[keep] * 400.0
    assert len(equity) >= 2600
    return equity


def trades_for(day_number: int) -> list[float]:
    """A deterministic pattern of closed-trade P&Ls (some days none, some several, break-evens included)."""
    pattern = {0: [], 1: [125.0], 2: [], 3: [-40.0, 10.0], 4: [0.0], 5: [], 6: [-15.5]}
    return pattern[day_number % 7]


def assert_same_as_analyzer(kpis: DailyKpis, curve, trades: list[float]) -> None:
    metrics = analyze_performance(curve, trades=trades, risk_free_rate=RF)
    for kpi_name, metric_name in SAME_AS_ANALYZER.items():
        incremental, full = getattr(kpis, kpi_name), getattr(metrics, metric_name)
        if incremental is None or full is None:
            assert incremental is full, (kpis.trading_date, kpi_name, incremental, full)
        else:
            assert math.isclose(incremental, full, rel_tol=REL, abs_tol=0.0), (kpi_name, incremental, full)


def run(equity: pd.Series, *, through_json: bool = False) -> tuple[list[KpiState], list[DailyKpis]]:
    states, rows = [], []
    state = None
    for number, (timestamp, value) in enumerate(equity.items()):
        previous = json.loads(json.dumps(state.to_dict())) if (through_json and state) else state
        state, kpis = kpi_update(previous, timestamp.date(), value, trades_closed=trades_for(number), risk_free_rate=RF)
        states.append(state)
        rows.append(kpis)
    return states, rows


@pytest.mark.slow
def test_incremental_kpis_equal_the_full_recomputation_on_every_day_of_2600_real_days_with_gaps():
    equity = qqq_equity_with_gaps()
    _, rows = run(equity, through_json=True)
    trades: list[float] = []
    longest_gap = 0
    for number, kpis in enumerate(rows):
        trades += trades_for(number)
        assert_same_as_analyzer(kpis, equity.iloc[: number + 1], trades)
        if number:
            previous_date = equity.index[number - 1].date()
            assert kpis.days_since_previous == (kpis.trading_date - previous_date).days
            assert kpis.daily_return == equity.iloc[number] / equity.iloc[number - 1] - 1
            longest_gap = max(longest_gap, kpis.days_since_previous)
    assert longest_gap >= 14  # the two-week hole is one return, spanning its calendar days


def test_a_missed_day_recovered_later_from_the_previous_days_stored_state_gives_identical_results():
    equity = qqq_equity_with_gaps().iloc[:400]
    states, rows = run(equity)
    stored = [json.dumps(state.to_dict()) for state in states]  # what the daily table keeps per row
    missed = 250

    # Day `missed` failed; the recovery phase later redoes it and the following days in date order.
    state = KpiState.from_dict(json.loads(stored[missed - 1]))
    for number in range(missed, len(equity)):
        timestamp, value = equity.index[number], equity.iloc[number]
        state, kpis = kpi_update(state, timestamp.date(), value, trades_closed=trades_for(number), risk_free_rate=RF)
        assert kpis == rows[number]
        assert state == states[number]
        assert json.dumps(state.to_dict()) == stored[number]


def test_recomputing_a_day_from_the_previous_state_replaces_it_identically_and_never_mutates_that_state():
    equity = qqq_equity_with_gaps().iloc[:60]
    states, rows = run(equity)
    previous_dict = states[40].to_dict()
    untouched = copy.deepcopy(previous_dict)
    day, value = equity.index[41].date(), equity.iloc[41]

    first = kpi_update(previous_dict, day, value, trades_closed=trades_for(41), risk_free_rate=RF)
    again = kpi_update(states[40], day, value, trades_closed=trades_for(41), risk_free_rate=RF)

    assert first == again == (states[41], rows[41])
    assert previous_dict == untouched
    assert states[40] == KpiState.from_dict(untouched)


def test_feeding_the_same_trading_day_twice_is_rejected_so_a_day_never_counts_as_two_returns():
    """Sharpe-incident regression: daily returns come only from end-of-day equity of consecutive trading days.

    An intraday snapshot for a date already recorded must not become another return (that inflated the
    return count and the Sharpe ratio). Re-running a date means starting from the previous day's state.
    """
    state, _ = kpi_update(None, date(2024, 3, 1), 100_000)
    state, _ = kpi_update(state, date(2024, 3, 4), 101_000)

    with pytest.raises(ValueError, match="not after the state's last date"):
        kpi_update(state, date(2024, 3, 4), 101_500)  # a later snapshot of the same day
    with pytest.raises(ValueError, match="previous trading day"):
        kpi_update(state, date(2024, 3, 1), 99_000)  # an earlier day


def test_daily_return_is_end_of_day_equity_over_the_previous_rows_whatever_the_gap():
    state, first = kpi_update(None, "2024-03-01", Decimal("100000.00"))
    state, after_gap = kpi_update(state, "2024-03-11", Decimal("103000.00"))  # ten calendar days later

    assert (first.daily_return, first.days_since_previous, first.is_first_day) == (0.0, 0, True)
    assert after_gap.daily_return == pytest.approx(0.03, rel=1e-12)
    assert after_gap.days_since_previous == 10
    assert after_gap.trading_days_count == 2  # one return, not ten
    assert after_gap.is_first_day is False


def test_first_day_has_zero_return_and_undefined_ratios_and_volatility_needs_two_returns():
    state, day1 = kpi_update(None, date(2024, 1, 2), 50_000, risk_free_rate=RF)
    state, day2 = kpi_update(state, date(2024, 1, 3), 50_500, risk_free_rate=RF)
    state, day3 = kpi_update(state, date(2024, 1, 4), 50_000, risk_free_rate=RF)

    assert (day1.cumulative_return, day1.drawdown, day1.max_drawdown, day1.high_water_mark) == (0.0, 0.0, 0.0, 50_000)
    assert (day1.volatility, day1.sharpe, day1.sortino, day1.calmar, day1.cagr, day1.win_rate) == (None,) * 6
    assert day2.volatility is None and day2.sharpe is None and day2.cagr is not None
    assert day3.volatility is not None and day3.sharpe is not None
    assert day3.drawdown == pytest.approx(50_000 / 50_500 - 1)
    assert day3.calmar == pytest.approx(day3.cagr / abs(day3.max_drawdown))


def test_flat_equity_gives_zero_volatility_and_undefined_sharpe_like_the_analyzer():
    state = None
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(10)]
    for day in days:
        state, kpis = kpi_update(state, day, 25_000)

    assert kpis.volatility == 0.0
    assert (kpis.sharpe, kpis.sortino, kpis.calmar) == (None, None, None)
    full = analyze_performance([(day, 25_000) for day in days])
    assert (full.sharpe, full.volatility) == (None, 0.0)


def test_trade_counters_accumulate_from_numbers_dicts_and_objects():
    class Closed:
        pnl = Decimal("-12.50")

    state, day1 = kpi_update(None, date(2024, 1, 2), 1000, trades_closed=[5.0, {"pnl": 0}])
    state, day2 = kpi_update(state, date(2024, 1, 3), 1001, trades_closed=[Closed()])
    state, day3 = kpi_update(state, date(2024, 1, 4), 1002)

    assert (day1.total_trades, day1.winning_trades, day1.losing_trades, day1.win_rate) == (2, 1, 0, 0.5)
    assert (day2.total_trades, day2.winning_trades, day2.losing_trades) == (3, 1, 1)
    assert day3.win_rate == pytest.approx(1 / 3)


def test_with_an_initial_capital_cumulative_return_and_cagr_start_from_it_like_the_analyzer():
    equity = qqq_equity_with_gaps().iloc[:300]
    capital = float(equity.iloc[0]) * 1.004  # the first day's fills cost 0.4 % of the capital
    state, rows = None, []
    for number, (timestamp, value) in enumerate(equity.items()):
        state, kpis = kpi_update(state, timestamp.date(), value, trades_closed=trades_for(number),
                                 initial_capital=capital if number == 0 else None, risk_free_rate=RF)  # fmt: skip
        rows.append(kpis)
    _, plain = run(equity)
    assert rows[0].cumulative_return == pytest.approx(equity.iloc[0] / capital - 1, rel=1e-12)
    assert rows[0].daily_return == 0.0 and rows[0].cagr is None
    trades: list[float] = []
    for number in (1, 2, 120, 299):
        trades = [p for n in range(number + 1) for p in trades_for(n)]
        metrics = analyze_performance(
            equity.iloc[: number + 1], trades=trades, initial_capital=capital, risk_free_rate=RF
        )
        assert math.isclose(rows[number].cumulative_return, metrics.total_return, rel_tol=REL)
        assert math.isclose(rows[number].cagr, metrics.cagr, rel_tol=REL)
        if metrics.calmar is None:  # no drawdown yet
            assert rows[number].calmar is None and number < 100
        else:
            assert math.isclose(rows[number].calmar, metrics.calmar, rel_tol=REL)
        # the daily returns and what comes from them do not depend on the capital
        assert (rows[number].daily_return, rows[number].sharpe, rows[number].max_drawdown) == (
            plain[number].daily_return,
            plain[number].sharpe,
            plain[number].max_drawdown,
        )
    assert KpiState.from_dict(json.loads(json.dumps(state.to_dict()))).capital == capital


def test_a_version_1_state_continues_from_its_first_equity_as_it_was_computed():
    state, _ = kpi_update(None, date(2024, 1, 2), 1000, initial_capital=1010)
    old = {k: v for k, v in state.to_dict().items() if k != "capital"} | {"version": 1}
    continued, kpis = kpi_update(old, date(2024, 1, 3), 1100)
    assert continued.capital == 1000 and continued.version == 2
    assert kpis.cumulative_return == pytest.approx(0.1, rel=1e-12)


def test_state_round_trips_through_json_exactly():
    states, _ = run(qqq_equity_with_gaps().iloc[:300])
    state = states[-1]
    payload = json.dumps(state.to_dict(), allow_nan=False)

    assert KpiState.from_dict(json.loads(payload)) == state
    assert json.loads(payload)["first_date"] == state.first_date.isoformat()


def test_changing_the_risk_free_rate_of_an_existing_state_is_refused():
    state, _ = kpi_update(None, date(2024, 1, 2), 1000, risk_free_rate=0.02)

    with pytest.raises(ValueError, match="rebuild the daily rows"):
        kpi_update(state, date(2024, 1, 3), 1010, risk_free_rate=0.05)


@pytest.mark.parametrize(
    ("mutation", "message"),
    [({"version": 99}, "not supported"), ({"return_m2": None}, "not a number"), ({"first_equity": 0}, "> 0")],
)
def test_a_corrupt_or_foreign_state_is_refused_with_a_rebuild_hint(mutation, message):
    state, _ = kpi_update(None, date(2024, 1, 2), 1000)
    data = {**state.to_dict(), **mutation}

    with pytest.raises(ValueError, match=message):
        kpi_update(data, date(2024, 1, 3), 1001)
    with pytest.raises(ValueError, match="missing return_mean"):
        kpi_update({k: v for k, v in state.to_dict().items() if k != "return_mean"}, date(2024, 1, 3), 1001)


def test_non_positive_or_non_numeric_equity_is_refused():
    with pytest.raises(ValueError, match="must be > 0"):
        kpi_update(None, date(2024, 1, 2), 0)
    with pytest.raises(ValueError, match="not a number"):
        kpi_update(None, date(2024, 1, 2), None)


def test_the_same_inputs_give_byte_identical_rows_and_states():
    equity = qqq_equity_with_gaps().iloc[:200]
    states_a, rows_a = run(equity)
    states_b, rows_b = run(equity, through_json=True)

    assert [json.dumps(k.as_dict()) for k in rows_a] == [json.dumps(k.as_dict()) for k in rows_b]
    assert [json.dumps(s.to_dict()) for s in states_a] == [json.dumps(s.to_dict()) for s in states_b]
