from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"

    def ready(self) -> None:
        from jutsu.scheduler.runner import job_failure_listener
        from jutsu.status_api import register_status_check
        from strategies.bars import bars_coverage_install, bars_reader_install
        from trading import checks  # noqa: F401  (register the system checks)
        from trading.delivery import notify_queue
        from trading.notify import notify_job_run_failed, notify_sender_register
        from trading.selectors import market_data_coverage_ranges, market_data_frames, market_data_freshness

        register_status_check("market_data", market_data_freshness)
        # strategies reads bars through its port (strategies/bars.py); trading owns the market data.
        bars_reader_install(market_data_frames)
        bars_coverage_install(market_data_coverage_ranges)
        # Notifications reach people through Apprise (NOTIFY_URLS), one Celery task per target.
        notify_sender_register(notify_queue)
        # A failed run of any scheduled job is notified.
        job_failure_listener(notify_job_run_failed)
        _install_broker()


def _install_broker() -> None:
    """Schwab: the ``online_live`` executor and the live quote sources (Schwab first, Yahoo as fallback)."""
    from trading.executors.base import executor_register
    from trading.executors.schwab import schwab_executor
    from trading.quotes.base import quote_source_register
    from trading.quotes.schwab import SchwabQuoteSource
    from trading.quotes.yahoo import YahooQuoteSource

    yahoo = YahooQuoteSource()  # one per process: its throttle holds process-wide
    executor_register("online_live", schwab_executor)
    quote_source_register("schwab", SchwabQuoteSource)
    quote_source_register("yahoo", lambda: yahoo)
