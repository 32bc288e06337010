"""The trading app's API (DRF): trades, status, strategy state and engine control — thin views over selectors
and services."""
