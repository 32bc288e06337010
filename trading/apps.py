from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"

    def ready(self) -> None:
        from jutsu.status_api import register_status_check
        from trading.selectors import market_data_freshness

        register_status_check("market_data", market_data_freshness)
