"""MACD trend — an example with a leveraged, a core and a cash state.

* close above its trend SMA and MACD line above its signal line → 100% leveraged symbol (TQQQ);
* close above the trend SMA, MACD not confirming → 100% core symbol (QQQ);
* close at or below the trend SMA → cash.

All signals are read on ``signal_symbol``. Before the leveraged symbol has data (TQQQ starts in
2010) the bullish state holds the core symbol instead, and the strategy says so in its warnings.
Targets are returned only when the state changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..errors import StrategyParameterError
from ..feed import Bar
from ..indicators import macd, sma
from ..params import Param
from ..strategy import Strategy, register_strategy

_UNSET = object()


@register_strategy
class MacdTrend(Strategy):
    """TQQQ / QQQ / cash from MACD momentum and a long-term trend filter."""

    class_id = "macd_trend"
    display_name = "MACD trend"
    param_specs = (
        Param("signal_symbol", str, "QQQ"),
        Param("core_symbol", str, "QQQ"),
        Param("leveraged_symbol", str, "TQQQ"),
        Param("fast", int, 12, min=1, description="MACD fast EMA span, bars"),
        Param("slow", int, 26, min=2, description="MACD slow EMA span, bars"),
        Param("signal", int, 9, min=1, description="MACD signal EMA span, bars"),
        Param("trend_window", int, 100, min=2, description="trend filter SMA window, bars"),
    )

    def __init__(self, params: Mapping | None = None, **overrides: object) -> None:
        super().__init__(params, **overrides)
        self._state: object = _UNSET  # the first tradable bar always decides

    def check_params(self) -> None:
        if self.p.fast >= self.p.slow:
            raise StrategyParameterError("fast", f"must be smaller than slow ({self.p.fast} ≥ {self.p.slow})")

    @property
    def required_symbols(self) -> tuple[str, ...]:
        return (self.p.signal_symbol, self.p.core_symbol)

    @property
    def optional_symbols(self) -> tuple[str, ...]:
        return (self.p.leveraged_symbol,)

    @property
    def warmup_bars(self) -> int:
        return max(self.p.trend_window, self.p.slow + self.p.signal - 1)

    def on_bar(self, bar: Bar) -> dict[str, float] | None:
        p = self.p
        if not bar.has_bar(p.signal_symbol):
            return None
        close = bar.close(p.signal_symbol)
        trend = bar.value(p.signal_symbol, sma, p.trend_window)
        line, signal, _hist = bar.value(p.signal_symbol, macd, p.fast, p.slow, p.signal)
        if math.isnan(trend) or math.isnan(signal):
            return None
        if close <= trend:
            state, why = "cash", f"close {close:.2f} ≤ SMA{p.trend_window} {trend:.2f}"
        elif line > signal:
            state, why = "leveraged", f"uptrend and MACD {line:.3f} > signal {signal:.3f}"
        else:
            state, why = "core", f"uptrend, MACD {line:.3f} ≤ signal {signal:.3f}"
        symbol = {"cash": None, "leveraged": p.leveraged_symbol, "core": p.core_symbol}[state]
        if symbol == p.leveraged_symbol and not bar.has_bar(symbol):
            self.warn(f"no-{symbol}", f"{symbol} has no bar: held {p.core_symbol} instead", bar)
            symbol, why = p.core_symbol, why + f" ({p.leveraged_symbol} unavailable)"
        ctx = self.context
        ctx.date = bar.date
        ctx.indicators = {"close": close, "trend_sma": trend, "macd": line, "macd_signal": signal}
        ctx.target_weights = {symbol: 1.0} if symbol else {"cash": 1.0}
        ctx.reason = why
        if not bar.tradable or symbol == self._state:
            return None
        self._state = symbol
        return {symbol: 1.0} if symbol else {}
