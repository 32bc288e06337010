"""Market data services (writes). Reads are in ``trading.selectors``; sources in ``trading.sources``.

Public API
----------
``importing``
    ``market_data_import_file(path=, symbol=None, timeframe="1D", data_source="csv", user=, actor=)``
    ``market_data_store_bars(symbol=, timeframe=, data_source=, raw_bars=, operation=, …)`` — the one
    write path for bars from any source: validate → dedupe → transactional batches → jump flags →
    audit → coverage. Both return a ``StoreSummary`` (counts, messages, ``line()``).
``sync``
    ``market_data_sync(symbols=, source="auto"|"yahoo"|"schwab"|"synthetic", timeframe=, start=, end=)``
    ``market_data_generate_demo(symbols=DEMO_SYMBOLS, start=, end=, seed=42)``
    ``market_data_remove_synthetic(symbols=)``, ``last_completed_session(now)``
``corrections``
    ``market_data_set_validity(bar_ids=, is_valid=, reason=)``, ``market_data_correct_bar(bar_id=, reason=, …)``
``validation`` (pure)
    ``validate_bars``, ``normalise_timestamp``, ``detect_jumps`` and the rule constants.
``bookkeeping``
    ``data_metadata_refresh``, ``audit_failure`` and the audit-row builders.

Conventions: a daily bar is stored at 00:00 UTC of its New York trading date (``MarketData``'s
docstring); prices are split-adjusted, not dividend-adjusted, ``Decimal`` with 6 places; real and
synthetic bars never share a series; bars are never deleted except generated (synthetic) ones.
"""
