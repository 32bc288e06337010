"""Writes and workflows of the performance app: snapshots, EOD finalisation, backfill, backtest seeding."""
