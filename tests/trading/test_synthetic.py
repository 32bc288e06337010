"""The synthetic generator: deterministic, consistent, leveraged relations, fast, Django-free."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest

from trading.sources.synthetic import SYNTHETIC_SYMBOLS, generate_synthetic_bars, regime_labels

ALL = list(SYNTHETIC_SYMBOLS)
START, END = date(2010, 1, 4), date(2020, 12, 31)


@pytest.fixture(scope="module")
def frames():
    return generate_synthetic_bars(ALL, START, END, seed=7)


def test_the_same_seed_gives_identical_frames(frames):
    again = generate_synthetic_bars(ALL, START, END, seed=7)
    for symbol in ALL:
        pd.testing.assert_frame_equal(frames[symbol], again[symbol])


def test_another_seed_gives_another_path(frames):
    other = generate_synthetic_bars(["QQQ"], START, END, seed=8)["QQQ"]
    assert not np.allclose(other["close"].to_numpy(), frames["QQQ"]["close"].to_numpy())


def test_frames_have_float_ohlcv_columns_and_nyse_trading_dates(frames):
    qqq = frames["QQQ"]
    assert list(qqq.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in qqq.dtypes)
    assert qqq.index.name == "date" and isinstance(qqq.index[0], date)
    assert qqq.index[0] == date(2010, 1, 4) and qqq.index[-1] == date(2020, 12, 31)
    assert date(2012, 10, 29) not in qqq.index, "Hurricane Sandy closure is not a session"
    assert date(2020, 7, 3) not in qqq.index and len(qqq) == 2769


@pytest.mark.parametrize("symbol", ALL)
def test_ohlc_is_consistent_and_prices_and_volume_are_positive(frames, symbol):
    f = frames[symbol]
    assert (f["low"] <= f[["open", "close"]].min(axis=1)).all()
    assert (f["high"] >= f[["open", "close"]].max(axis=1)).all()
    assert (f[["open", "high", "low", "close"]] > 0).all().all()
    assert (f["volume"] > 0).all() and (f["volume"] == f["volume"].round()).all()


@pytest.mark.parametrize(("symbol", "underlying", "leverage"), [
    ("TQQQ", "QQQ", 3), ("SQQQ", "QQQ", -3), ("PSQ", "QQQ", -1), ("TMF", "TLT", 3), ("TMV", "TLT", -3),
])  # fmt: skip
def test_leveraged_funds_return_their_multiple_of_the_underlying_each_day(frames, symbol, underlying, leverage):
    fund = frames[symbol]["close"].pct_change().dropna().to_numpy()
    base = frames[underlying]["close"].pct_change().dropna().to_numpy()
    np.testing.assert_allclose(fund, leverage * base, atol=1e-4)  # minus the daily expense ratio


def test_bonds_are_negatively_correlated_with_the_index_in_bear_regimes(frames):
    regimes = regime_labels(START, END, seed=7)
    returns = pd.DataFrame({s: frames[s]["close"].pct_change() for s in ("QQQ", "TLT")})
    bear = returns[regimes == "bear"].corr().loc["QQQ", "TLT"]
    assert bear < -0.2


def test_the_index_shows_regimes_and_volatility_clusters(frames):
    regimes = regime_labels(START, END, seed=7)
    assert set(regimes) == {"bull", "sideways", "bear"}
    abs_returns = frames["QQQ"]["close"].pct_change().abs().dropna()
    assert abs_returns.autocorr(lag=1) > 0.1, "large moves cluster"
    annual_vol = frames["QQQ"]["close"].pct_change().std() * np.sqrt(252)
    assert 0.12 < annual_vol < 0.35


def test_a_symbol_does_not_depend_on_which_others_were_requested(frames):
    alone = generate_synthetic_bars(["tmf"], START, END, seed=7)
    pd.testing.assert_frame_equal(alone["TMF"], frames["TMF"])


def test_extending_the_end_leaves_earlier_bars_unchanged(frames):
    longer = generate_synthetic_bars(["QQQ"], START, date(2022, 6, 30), seed=7)["QQQ"]
    pd.testing.assert_frame_equal(longer.loc[: date(2020, 12, 31)], frames["QQQ"])


def test_an_unknown_symbol_is_refused_with_the_available_ones():
    with pytest.raises(ValueError, match="no synthetic model for 'SPY'; available: QQQ"):
        generate_synthetic_bars(["SPY"], START, END)


def test_start_after_end_is_refused():
    with pytest.raises(ValueError, match="after end"):
        generate_synthetic_bars(["QQQ"], END, START)


def test_a_range_without_sessions_gives_empty_frames():
    empty = generate_synthetic_bars(["QQQ"], date(2020, 7, 4), date(2020, 7, 5))["QQQ"]
    assert empty.empty and list(empty.columns) == ["open", "high", "low", "close", "volume"]


def test_twenty_five_years_of_all_symbols_give_one_bar_per_session():
    """Speed is measured in bench/backtest_bench.py; here the result of a long range."""
    sessions = list(pd.bdate_range("2000-01-03", "2024-12-31").date)
    result = generate_synthetic_bars(ALL, sessions[0], sessions[-1], seed=1, sessions=sessions)
    for symbol in ALL:
        frame = result[symbol]
        assert list(frame.index) == sessions
        assert np.isfinite(frame.to_numpy()).all() and (frame["close"] > 0).all()


def test_the_generator_imports_and_runs_without_django():
    code = (
        "import sys, datetime as d\n"
        "from trading.sources.synthetic import generate_synthetic_bars\n"
        "days = [d.date(2020, 1, 2), d.date(2020, 1, 3)]\n"
        "f = generate_synthetic_bars(['QQQ'], days[0], days[1], sessions=days)\n"
        "assert len(f['QQQ']) == 2\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'\n"
    )
    from tests.data import ROOT

    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
