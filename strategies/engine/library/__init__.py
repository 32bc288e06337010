"""Built-in strategies; importing this package registers them."""

from . import hierarchical_adaptive, macd_trend, sma_crossover

__all__ = ["hierarchical_adaptive", "macd_trend", "sma_crossover"]
