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

from jutsu.errors import InvalidParameter, NotFound
from strategies.selectors import strategy_get
from trading.models import Side
from trading.modes import Mode
from trading.selectors import account_get, positions_held
from trading.services.manual import manual_orders_execute, manual_quotes
from trading.services.orders import ExecutionReport, OrderRequest

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
    prices = manual_quotes(sorted(held), as_of=as_of, now=now)
    requests = [OrderRequest(s, Side.SELL, int(p.quantity), prices[s]) for s, p in held.items()]
    report = manual_orders_execute(account=account, requests=requests, prices=prices, kind="flatten", as_of=as_of)
    return FlattenResult(strategy_id, mode, report, {s: int(p.quantity) for s, p in held.items()})
