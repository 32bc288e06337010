"""Pure numeric core: indicators, strategies, backtest loop and performance analytics (no Django, no clock, no I/O)."""
