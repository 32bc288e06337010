"""Strategies: the functional core (engine/), the strategy registry, backtest runs."""
