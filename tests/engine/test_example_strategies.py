"""The example strategies (SMA crossover, MACD trend) behave as their docstrings say."""

from __future__ import annotations

import numpy as np

from strategies.engine import BacktestConfig, create_strategy, run_backtest
from tests.engine.helpers import bars

NO_COSTS = BacktestConfig(commission_per_share=0, slippage=0, baseline_symbol=None)


def up_then_down(up: int, down: int) -> np.ndarray:
    return np.concatenate((100 * 1.005 ** np.arange(up), 100 * 1.005 ** (up - 1) * 0.99 ** np.arange(1, down + 1)))


def test_sma_crossover_is_fully_invested_while_fast_is_above_slow_then_goes_to_cash():
    qqq = bars(up_then_down(60, 40))
    result = run_backtest(create_strategy("sma_crossover", {"fast": 5, "slow": 20}), {"QQQ": qqq}, NO_COSTS)
    buy, sell = result.fills
    assert buy["date"] == qqq.index[19].date()  # first bar with both SMAs, already bullish
    # SMA5 drops below SMA20 a few bars after the peak: sold then, never bought again
    closes = qqq["close"]
    crossed = next(i for i in range(60, 100) if closes.iloc[i - 4 : i + 1].mean() <= closes.iloc[i - 19 : i + 1].mean())
    assert sell["date"] == qqq.index[crossed].date()
    assert result.equity_curve[-1]["positions"] == {}


def test_macd_trend_holds_qqq_until_tqqq_exists_then_tqqq_then_cash_in_a_downtrend():
    qqq = bars(up_then_down(170, 60))
    tqqq = bars(100 * 1.015 ** np.arange(110), start=qqq.index[120].strftime("%Y-%m-%d"))
    strategy = create_strategy("macd_trend")
    result = run_backtest(strategy, {"QQQ": qqq, "TQQQ": tqqq}, NO_COSTS)
    moves = [(f["date"], f["symbol"], f["side"]) for f in result.fills]
    assert moves[0] == (qqq.index[99].date(), "QQQ", "buy")  # warm-up = max(100, 26 + 9 − 1)
    assert moves[1:3] == [(qqq.index[120].date(), "QQQ", "sell"), (qqq.index[120].date(), "TQQQ", "buy")]
    # after the peak MACD weakens first (→ core QQQ), then the close falls below its SMA (→ cash)
    (weak_day, *_), (weak_day_again, *_) = moves[-3], moves[-2]
    assert [m[1:] for m in moves[-3:]] == [("TQQQ", "sell"), ("QQQ", "buy"), ("QQQ", "sell")]
    assert weak_day == weak_day_again
    close = qqq["close"]
    line = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    at = qqq.index.get_loc(str(weak_day))
    assert line.iloc[at] <= line.ewm(span=9, adjust=False).mean().iloc[at]
    assert close.iloc[at] > close.iloc[at - 99 : at + 1].mean()
    assert result.equity_curve[-1]["positions"] == {}
    assert any("TQQQ has no bar: held QQQ instead" in w for w in result.warnings)
    assert strategy.context.target_weights == {"cash": 1.0}
    assert "≤ SMA100" in strategy.context.reason
