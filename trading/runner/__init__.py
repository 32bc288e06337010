"""The multi-strategy runner of the daily trading job (see ``docs/LIVE_TRADING.md``)."""
