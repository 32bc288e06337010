"""SMA crossover — the smallest useful strategy, written as an example to copy.

Holds 100% of equity in ``symbol`` while SMA(fast) > SMA(slow) and is in cash otherwise. It only
returns targets when its view changes (and on the first tradable bar), so it never churns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..errors import StrategyParameterError
from ..feed import Bar
from ..indicators import sma
from ..params import Param
from ..strategy import Strategy, register_strategy


@register_strategy
class SmaCrossover(Strategy):
    """Long the symbol while its fast SMA is above its slow SMA, otherwise cash."""

    class_id = "sma_crossover"
    display_name = "SMA crossover"
    param_specs = (
        Param("symbol", str, "QQQ", description="symbol traded and measured"),
        Param("fast", int, 40, min=1, description="fast SMA window, bars"),
        Param("slow", int, 140, min=2, description="slow SMA window, bars"),
    )

    def __init__(self, params: Mapping | None = None, **overrides: object) -> None:
        super().__init__(params, **overrides)
        self._invested: bool | None = None  # None until the first tradable bar

    def check_params(self) -> None:
        if self.p.fast >= self.p.slow:
            raise StrategyParameterError("fast", f"must be smaller than slow ({self.p.fast} ≥ {self.p.slow})")

    @property
    def required_symbols(self) -> tuple[str, ...]:
        return (self.p.symbol,)

    @property
    def warmup_bars(self) -> int:
        return self.p.slow  # the slow SMA exists from its slow-th bar on

    def on_bar(self, bar: Bar) -> dict[str, float] | None:
        symbol = self.p.symbol
        fast = bar.value(symbol, sma, self.p.fast)
        slow = bar.value(symbol, sma, self.p.slow)
        if math.isnan(slow) or not bar.has_bar(symbol):
            return None
        bullish = fast > slow
        ctx = self.context
        ctx.date = bar.date
        ctx.indicators = {"sma_fast": fast, "sma_slow": slow}
        ctx.target_weights = {symbol: 1.0} if bullish else {"cash": 1.0}
        relation = ">" if bullish else "≤"
        ctx.reason = f"SMA{self.p.fast} {relation} SMA{self.p.slow}: {'long ' + symbol if bullish else 'cash'}"
        if not bar.tradable or bullish is self._invested:
            return None
        self._invested = bullish
        return {symbol: 1.0} if bullish else {}
