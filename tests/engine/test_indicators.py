"""Indicators: hand-computed values and agreement with the independent ``ta`` library."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
import ta

from strategies.engine import indicators as ind
from tests.engine.helpers import load_market, random_walk, rel_close

NAN = math.nan


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    return random_walk(1500)


# ------------------------------------------------------------------ hand-computed values


def test_sma_averages_the_last_window_values_after_its_warm_up():
    out = ind.sma(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 3)
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == [2.0, 3.0, 4.0]


def test_ema_starts_at_the_first_value_and_hides_its_warm_up():
    out = ind.ema(np.array([1.0, 2.0, 3.0, 4.0]), 3)  # alpha = 0.5
    assert np.isnan(out[:2]).all()
    assert out[2] == 2.25  # 1 → 1.5 → 2.25
    assert out[3] == 3.125


def test_rsi_uses_wilder_smoothing_seeded_with_the_simple_mean():
    out = ind.rsi(np.array([10.0, 11.0, 12.0, 11.0, 13.0]), 2)
    assert np.isnan(out[:2]).all()
    assert out[2] == 100.0  # gains 1, 1; no loss
    assert out[3] == pytest.approx(50.0)  # avg gain (1+0)/2 = .5, avg loss (0+1)/2 = .5
    assert out[4] == pytest.approx(100 - 100 / (1 + 1.25 / 0.25))


def test_rsi_of_a_flat_series_is_fifty():
    assert ind.rsi(np.full(20, 5.0), 14)[-1] == 50.0


def test_atr_seeds_with_the_mean_true_range_then_smooths_like_wilder():
    high = np.array([10.0, 11.0, 13.0])
    low = np.array([9.0, 9.0, 11.0])
    close = np.array([9.5, 10.5, 11.5])
    out = ind.atr(high, low, close, 2)
    # TR = 1 (h−l of the first bar), 2 (h−l), 2.5 (|13 − 10.5|)
    assert np.isnan(out[0])
    assert out[1] == 1.5
    assert out[2] == 2.0


def test_obv_adds_volume_on_up_closes_subtracts_on_down_and_ignores_flat():
    out = ind.obv(np.array([10.0, 11.0, 11.0, 10.0]), np.array([100.0, 200.0, 300.0, 400.0]))
    assert out.tolist() == [0.0, 200.0, 200.0, -200.0]


def test_realized_vol_is_the_sample_std_of_log_returns_annualised():
    closes = np.array([100.0, 110.0, 99.0, 108.9])
    out = ind.realized_vol(closes, 2)
    r = [math.log(110 / 100), math.log(99 / 110), math.log(108.9 / 99)]
    assert np.isnan(out[:2]).all()
    assert out[2] == pytest.approx(statistics.stdev(r[0:2]) * math.sqrt(252), rel=1e-12)
    assert out[3] == pytest.approx(statistics.stdev(r[1:3]) * math.sqrt(252), rel=1e-12)


def test_zscore_uses_the_window_including_the_current_value_and_sample_std():
    out = ind.zscore(np.array([1.0, 2.0, 3.0, 5.0]), 3)
    assert np.isnan(out[:2]).all()
    assert out[2] == pytest.approx(1.0)
    assert out[3] == pytest.approx((5 - 10 / 3) / statistics.stdev([2.0, 3.0, 5.0]))


def test_zscore_of_a_flat_window_is_zero_not_a_division_error():
    assert ind.zscore(np.full(5, 0.1), 3)[2:].tolist() == [0.0, 0.0, 0.0]


def test_vol_zscore_first_exists_after_vol_plus_baseline_windows(walk):
    out = ind.vol_zscore(walk["close"].to_numpy(), 21, 200)
    assert np.isnan(out[:220]).all()
    assert not np.isnan(out[220])


def test_stochastic_reports_fifty_on_a_flat_window():
    flat = np.full(5, 7.0)
    k, _d = ind.stochastic(flat, flat, flat, 3, 2)
    assert k[2:].tolist() == [50.0, 50.0, 50.0]


def test_series_in_gives_series_out_with_the_same_index(walk):
    out = ind.sma(walk["close"], 10)
    assert isinstance(out, pd.Series)
    assert out.index.equals(walk.index)


def test_invalid_window_is_rejected():
    with pytest.raises(ValueError, match="window"):
        ind.sma(np.arange(5.0), 0)


# ------------------------------------------------------------------ independent implementation (ta)


def test_sma_and_ema_agree_with_ta(walk):
    close = walk["close"]
    assert rel_close(ind.sma(close, 20), ta.trend.sma_indicator(close, 20))
    assert rel_close(ind.ema(close, 20), ta.trend.ema_indicator(close, 20))


def test_macd_agrees_with_ta(walk):
    close = walk["close"]
    ref = ta.trend.MACD(close, window_slow=26, window_fast=12, window_sign=9)
    line, signal, hist = ind.macd(close)
    assert rel_close(line, ref.macd())
    assert rel_close(signal, ref.macd_signal())
    assert rel_close(hist, ref.macd_diff())


def test_bollinger_agrees_with_ta(walk):
    close = walk["close"]
    ref = ta.volatility.BollingerBands(close, window=20, window_dev=2)
    mid, upper, lower = ind.bollinger(close)
    assert rel_close(mid, ref.bollinger_mavg())
    assert rel_close(upper, ref.bollinger_hband())
    assert rel_close(lower, ref.bollinger_lband())


def test_stochastic_agrees_with_ta(walk):
    ref = ta.momentum.StochasticOscillator(walk["high"], walk["low"], walk["close"], window=14, smooth_window=3)
    k, d = ind.stochastic(walk["high"], walk["low"], walk["close"])
    assert rel_close(k, ref.stoch())
    assert rel_close(d, ref.stoch_signal())


def test_atr_agrees_with_ta_once_both_exist(walk):
    ref = ta.volatility.AverageTrueRange(walk["high"], walk["low"], walk["close"], window=14).average_true_range()
    mine = ind.atr(walk["high"], walk["low"], walk["close"]).to_numpy()
    assert np.isnan(mine[:13]).all()
    assert rel_close(mine[13:], ref.to_numpy()[13:])  # ta reports 0 instead of NaN during warm-up


def test_rsi_converges_to_ta_once_the_seed_difference_has_decayed(walk):
    ref = ta.momentum.RSIIndicator(walk["close"], window=14).rsi().to_numpy()
    mine = ind.rsi(walk["close"]).to_numpy()
    # ta seeds its Wilder average at bar 0 with a zero change; ours seeds with the simple mean (Wilder).
    assert abs(mine[20] - ref[20]) > 1e-6
    assert rel_close(mine[400:], ref[400:])


def test_obv_differs_from_ta_only_by_its_first_volume_and_flat_day_volumes(walk):
    ref = ta.volume.OnBalanceVolumeIndicator(walk["close"], walk["volume"]).on_balance_volume().to_numpy()
    mine = ind.obv(walk["close"], walk["volume"]).to_numpy()
    close, volume = walk["close"].to_numpy(), walk["volume"].to_numpy()
    flat = np.concatenate(([True], close[1:] == close[:-1]))
    assert flat[10] and flat[200]
    assert rel_close(ref - mine, np.cumsum(np.where(flat, volume, 0.0)))


def test_adx_and_directional_indicators_agree_with_ta_except_its_final_bar(walk):
    plain = walk.reset_index(drop=True)  # ta's ADX indexes positionally
    ref = ta.trend.ADXIndicator(plain["high"], plain["low"], plain["close"], window=14)
    adx, plus_di, minus_di = (x.to_numpy() for x in ind.adx(walk["high"], walk["low"], walk["close"]))
    n = len(walk)
    assert np.isnan(adx[:27]).all() and not np.isnan(adx[27])
    assert rel_close(adx[27 : n - 1], ref.adx().to_numpy()[27 : n - 1])
    assert rel_close(plus_di[15 : n - 1], ref.adx_pos().to_numpy()[15 : n - 1])
    assert rel_close(minus_di[15 : n - 1], ref.adx_neg().to_numpy()[15 : n - 1])


def test_indicators_agree_with_ta_on_real_qqq_bars():
    qqq = load_market("QQQ")["QQQ"]
    close = qqq["close"]
    assert rel_close(ind.sma(close, 140), ta.trend.sma_indicator(close, 140))
    assert rel_close(ind.macd(close)[2], ta.trend.MACD(close).macd_diff())
    ref_atr = ta.volatility.AverageTrueRange(qqq["high"], qqq["low"], close).average_true_range()
    assert rel_close(ind.atr(qqq["high"], qqq["low"], close)[13:], ref_atr[13:])


def test_indicator_values_depend_only_on_past_bars(walk):
    close = walk["close"].to_numpy()
    for fn in (lambda c: ind.sma(c, 30), lambda c: ind.ema(c, 30), ind.rsi, lambda c: ind.vol_zscore(c, 21, 200)):
        full = fn(close)
        cut = fn(close[:700])
        assert np.array_equal(full[:700], cut, equal_nan=True)
