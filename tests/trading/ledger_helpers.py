"""Recording real trades through the ledger for API, admin and page tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from trading.executors.base import Fill
from trading.models import LiveTrade, TradeReason
from trading.services.ledger import TradeContext, account_open, ledger_record_fill
from trading.services.orders import OrderRequest, orders_record


def trade(
    strategy_id: str,
    side: str,
    symbol: str,
    qty: int,
    price: str,
    day: date,
    *,
    mode: str = "paper",
    commission: str = "0.10",
    cell: int | None = 1,
    capital: str = "100000",
) -> LiveTrade:
    """Book one filled trading-job order (the account is opened on first use)."""
    account_open(strategy_id=strategy_id, mode=mode, day=day, initial_capital=Decimal(capital))
    (order,) = orders_record(
        strategy_id=strategy_id,
        mode=mode,
        day=day,
        requests=[OrderRequest(symbol, side, qty, Decimal(price))],
        reason=TradeReason.REBALANCE,
    )
    at = datetime.combine(day, time(20, 0), tzinfo=UTC)
    context = TradeContext(reason=TradeReason.REBALANCE, strategy_cell=cell, trend_state="BullStrong", vol_state="Low")
    return ledger_record_fill(
        order_id=order.pk, fill=Fill(qty, Decimal(price), Decimal(commission), at), context=context
    )


def live_quotes_at(monkeypatch, price: str) -> None:
    """Install a live quote source (the ``schwab`` slot of the chain) answering ``price`` for every symbol —
    an implementation of the ``QuoteSource`` interface standing in for the broker's quotes."""
    from trading.quotes import base
    from trading.quotes.base import Quote, QuoteSource

    class FixedQuotes(QuoteSource):
        name = "schwab"

        def quotes(self, symbols, *, at):
            return {s: Quote(s, Decimal(price), at, self.name) for s in symbols}

    monkeypatch.setitem(base._factories, "schwab", FixedQuotes)
    monkeypatch.setenv("DATA_PRIMARY_SOURCE", "schwab")
