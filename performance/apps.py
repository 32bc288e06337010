from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "performance"

    def ready(self) -> None:
        from performance.services.snapshots import performance_snapshot_observed
        from trading.equity import equity_listener

        # The trading and refresh jobs report equity through trading.equity; snapshots are kept here.
        equity_listener(performance_snapshot_observed)
