"""Trading: market data, live runner and executors, positions, trades, jobs, broker, notifications."""
