"""The trades page: filtered, paginated trades with their statistics and a CSV export of the same filter."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator

from strategies.models import Strategy
from trading.selectors import trades_list, trades_stats

TRADES_PER_PAGE = 50


def export_url(filters: dict[str, Any]) -> str:
    """``/api/trades/export`` with the page's filters under the API's parameter names."""
    names = {"strategy_id": "strategy_id", "mode": "mode", "symbol": "symbol", "start": "start_date", "end": "end_date"}
    query = {names[k]: str(v) for k, v in filters.items() if v}
    return "/api/trades/export" + (f"?{urlencode(query)}" if query else "")


def page_query(params, **changes) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key) — for pager links."""
    query = {k: v for k, v in params.items() if v not in ("", None)}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlencode(query)


def trades_page_context(
    filters: dict[str, Any], *, page_number: Any, strategies: list[Strategy], params
) -> dict[str, Any]:
    """Trades newest first (one page), statistics of every matching trade and the export link. Four queries
    (count, page, two for the statistics) whatever the number of trades."""
    rows = trades_list(**filters)
    page = Paginator(rows, TRADES_PER_PAGE).get_page(page_number)
    names = {s.strategy_id: s.display_name for s in strategies}
    stats = trades_stats(rows) if page.paginator.count else None
    filtered = any(filters.values())
    return {
        "page": page,
        "trades": [{"row": t, "strategy_name": names.get(t.strategy_id, t.strategy_id)} for t in page.object_list],
        "stats": stats,
        "filtered": filtered,
        "export_url": export_url(filters),
        "previous_query": page_query(params, page=page.previous_page_number()) if page.has_previous() else "",
        "next_query": page_query(params, page=page.next_page_number()) if page.has_next() else "",
    }
