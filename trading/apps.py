from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"

    def ready(self) -> None:
        from jutsu.status_api import register_status_check
        from strategies.bars import bars_reader_install
        from trading.selectors import market_data_frames, market_data_freshness

        register_status_check("market_data", market_data_freshness)
        # strategies reads bars through its port (strategies/bars.py); trading owns the market data.
        bars_reader_install(market_data_frames)
