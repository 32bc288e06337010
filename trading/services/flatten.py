"""Emergency exit: sell every position of a strategy in a mode to cash, through the mode's executor.

Refused without the typed confirmation ``YES``. The sells are ordinary orders (keys ``…:flatten:<n>``, reason
``Manual``) executed now — or as of a past moment for a replay (prices from the stored bars) — and booked by
the ledger like every other fill, so positions still equal their trades. Flatten works while the engine is
stopped (it is how an operator gets out); the engine itself is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from jutsu.errors import DataMissing, InvalidParameter, NotFound
from jutsu.scheduler import calendar
from strategies.selectors import strategy_get
from strategies.services.backtests import strategy_costs
from trading import equity
from trading.executors import executor_for
from trading.models import Side, TradeReason
from trading.modes import Mode
from trading.quotes import quote_source_for
from trading.selectors import account_get, positions_held
from trading.services.ledger import TradeContext, account_value, positions_mark
from trading.services.orders import ExecutionReport, OrderRequest, orders_execute, orders_record

CONFIRMATION = "YES"


@dataclass
class FlattenResult:
    strategy_id: str
    mode: str
    report: ExecutionReport
    sold: dict[str, int]

    def line(self) -> str:
        if not self.sold:
            return f"{self.strategy_id}/{self.mode}: nothing held, nothing to sell"
        sold = ", ".join(f"{qty} {symbol}" for symbol, qty in self.sold.items())
        tail = f"; {self.report.stopped}" if self.report.stopped else ""
        return f"{self.strategy_id}/{self.mode}: sold {sold} ({len(self.report.trades)} trade(s)){tail}"


def flatten(
    *, strategy_id: str, mode: str, confirm: str | None, as_of: datetime | None = None, user=None
) -> FlattenResult:
    """Sell everything ``strategy_id`` holds in ``mode`` (see the module docstring)."""
    if confirm != CONFIRMATION:
        raise InvalidParameter(f"flatten sells every position of {strategy_id} ({mode}): confirm with 'YES'")
    if mode not in Mode.values:
        raise InvalidParameter(f"mode: unknown mode {mode!r}; use one of {', '.join(Mode.values)}")
    strategy_get(strategy_id)
    account = account_get(strategy_id, mode)
    if account is None:
        raise NotFound(f"{strategy_id} has never traded in {mode}: nothing to flatten")
    now = timezone.now()
    as_of = as_of or now
    held = positions_held(strategy_id, mode)
    if not held:
        return FlattenResult(strategy_id, mode, ExecutionReport(), {})
    quotes = quote_source_for(as_of, now=now).quotes(sorted(held), at=as_of)
    missing = sorted(set(held) - set(quotes))
    if missing:
        raise DataMissing(f"no price for {', '.join(missing)} at {as_of.isoformat()}: nothing was sold")
    requests = [OrderRequest(s, Side.SELL, int(p.quantity), quotes[s].price) for s, p in held.items()]
    orders = orders_record(
        strategy_id=strategy_id,
        mode=mode,
        day=calendar.market_date(as_of),
        requests=requests,
        reason=TradeReason.MANUAL,
        manual_kind="flatten",
    )
    executor = executor_for(mode, costs=strategy_costs(strategy_id))
    report = orders_execute(orders, executor=executor, context=TradeContext(reason=TradeReason.MANUAL), as_of=as_of)
    prices = {s: q.price for s, q in quotes.items()}
    positions_mark(strategy_id=strategy_id, mode=mode, prices=prices, at=as_of)
    if mode != Mode.DRY_RUN:
        account.refresh_from_db()
        value = account_value(account, prices)
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
    return FlattenResult(strategy_id, mode, report, {s: int(p.quantity) for s, p in held.items()})
