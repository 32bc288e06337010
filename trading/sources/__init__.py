"""Market-data sources, one module per source behind one interface (``trading.sources.base``).

* ``csv_file``  — Yahoo-layout and generic CSV files;
* ``yahoo``     — Yahoo Finance through ``yfinance`` (throttled, cached);
* ``schwab``    — Schwab price history through ``schwab-py``;
* ``synthetic`` — the deterministic generator (pure; no Django);
* ``registry``  — ``get_source(name)`` and ``fetch_with_fallback`` (primary → fallback source).

This package imports nothing at import time, so ``trading.sources.synthetic`` stays usable without
Django settings.
"""
