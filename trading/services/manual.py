"""Orders an operator asks for — a manual trade or the emergency flatten — through the mode's executor.

Manual orders are ordinary orders with the reason ``Manual`` and keys ``…:manual:<n>`` / ``…:flatten:<n>``
(never the trading job's key of the day, so they neither block nor duplicate it). They go through the same
driver and ledger as the trading job's (positions stay equal to their trades), priced from the quote chain
— the replay source for a past ``as_of`` — and end with a mark to market and a ``manual`` equity snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from jutsu.errors import DataMissing, InvalidParameter, NotFound
from jutsu.scheduler import calendar
from strategies.selectors import strategy_get
from strategies.services.backtests import strategy_costs
from trading import equity
from trading.executors import executor_for
from trading.models import LiveTrade, Side, TradeReason, TradingAccount
from trading.modes import Mode
from trading.quotes import quote_source_for
from trading.selectors import account_get, positions_held
from trading.services.ledger import TradeContext, account_value, positions_mark
from trading.services.orders import ExecutionReport, OrderRequest, orders_execute, orders_record


def manual_quotes(symbols: Sequence[str], *, as_of: datetime, now: datetime) -> dict:
    """``{symbol: Decimal price}`` at ``as_of`` for every symbol, or ``DataMissing`` naming those without one."""
    quotes = quote_source_for(as_of, now=now).quotes(sorted(symbols), at=as_of)
    missing = sorted(set(symbols) - set(quotes))
    if missing:
        raise DataMissing(f"no price for {', '.join(missing)} at {as_of.isoformat()}: nothing was traded")
    return {symbol: quote.price for symbol, quote in quotes.items()}


def manual_orders_execute(
    *,
    account: TradingAccount,
    requests: Sequence[OrderRequest],
    prices: dict,
    kind: str,
    as_of: datetime,
) -> ExecutionReport:
    """Record ``requests`` as manual orders (``kind`` ``manual`` or ``flatten``), drive them through the mode's
    executor, mark the positions at ``prices`` and report the account's equity (``manual`` snapshot)."""
    strategy_id, mode = account.strategy_id, account.mode
    orders = orders_record(
        strategy_id=strategy_id,
        mode=mode,
        day=calendar.market_date(as_of),
        requests=list(requests),
        reason=TradeReason.MANUAL,
        manual_kind=kind,
    )
    executor = executor_for(mode, costs=strategy_costs(strategy_id))
    report = orders_execute(orders, executor=executor, context=TradeContext(reason=TradeReason.MANUAL), as_of=as_of)
    held = set(positions_held(strategy_id, mode))
    marks = {s: p for s, p in prices.items() if s in held}
    positions_mark(strategy_id=strategy_id, mode=mode, prices=marks, at=as_of)
    if mode != Mode.DRY_RUN:
        account.refresh_from_db()
        value = account_value(account, {**_last_marks(strategy_id, mode), **prices})
        equity.equity_observe(
            equity.EquityObservation(
                strategy_id=strategy_id,
                mode=mode,
                source=equity.MANUAL,
                timestamp=as_of,
                total_equity=value.equity,
                cash=value.cash,
                positions_value=value.positions_value,
                positions=value.positions,
            )
        )
    return report


def _last_marks(strategy_id: str, mode: str) -> dict:
    return {s: p.last_price for s, p in positions_held(strategy_id, mode).items() if p.last_price is not None}


def trade_manual(
    *,
    strategy_id: str,
    mode: str,
    symbol: str,
    side: str,
    qty: int,
    as_of: datetime | None = None,
) -> list[LiveTrade]:
    """Buy or sell ``qty`` whole shares of one of the strategy's symbols in ``mode`` now (or as of a past
    moment); returns the trades booked. The account must exist (the strategy has traded in ``mode``), the
    symbol must be one the strategy trades, and a sell cannot exceed the position."""
    from strategies.engine.strategy import get_strategy_class
    from strategies.services.registry import strategy_effective_params

    if mode not in Mode.values:
        raise InvalidParameter(f"mode: unknown mode {mode!r}; use one of {', '.join(Mode.values)}")
    if side not in Side.values:
        raise InvalidParameter(f"side: use BUY or SELL, got {side!r}")
    if qty <= 0:
        raise InvalidParameter(f"quantity: whole shares above 0, got {qty}")
    row = strategy_get(strategy_id)
    symbol = symbol.strip().upper()
    engine = get_strategy_class(row.strategy_class)(strategy_effective_params(row))
    if symbol not in engine.symbols:
        raise InvalidParameter(f"symbol: {strategy_id} trades {', '.join(engine.symbols)}, not {symbol}")
    account = account_get(strategy_id, mode)
    if account is None:
        raise NotFound(f"{strategy_id} has never traded in {mode}: start the engine in {mode} first")
    if side == Side.SELL:
        held = positions_held(strategy_id, mode).get(symbol)
        if held is None or held.quantity < qty:
            have = held.quantity if held is not None else 0
            raise InvalidParameter(f"quantity: {strategy_id} holds {have:f} {symbol} in {mode}, cannot sell {qty}")
    now = timezone.now()
    as_of = as_of or now
    prices = manual_quotes([symbol], as_of=as_of, now=now)
    report = manual_orders_execute(
        account=account, requests=[OrderRequest(symbol, side, qty, prices[symbol])], prices=prices, kind="manual",
        as_of=as_of,
    )  # fmt: skip
    if report.errors or (report.stopped and not report.trades):
        raise DataMissing(f"the manual order was not filled: {'; '.join([report.stopped, *report.errors]).strip('; ')}")
    return list(report.trades)
