"""Performance: snapshots, daily performance (EOD KPIs), backfill, performance API and pages."""
