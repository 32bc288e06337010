"""Template context of the trading app: the "demo data — synthetic prices" banner of every page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def synthetic_data(request) -> dict:
    """``SYNTHETIC_SYMBOLS``: the symbols whose stored prices are synthetic (empty with real data).

    Lazy: the (cached) query runs only when a template shows the banner — signed-in pages.
    """
    from trading.selectors import market_data_synthetic_symbols

    return {"SYNTHETIC_SYMBOLS": SimpleLazyObject(market_data_synthetic_symbols)}
