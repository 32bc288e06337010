"""Reconciliation: the day's recorded ``online_live`` fills against the broker's executed orders.

Phases: read the day's live trades and Schwab's orders of the session day (no transaction open during the
broker call) → compare in memory → store the report and the trades' ``reconciled`` flags in one transaction →
notify after commit when anything differs.

Comparison, per broker order that executed something:

* the recorded trades carrying its order id (else, for trades recorded without one, the trades of one order
  with the same symbol, side and filled quantity) are *its* trades;
* same filled quantity and the same average price (within ``PRICE_TOLERANCE``) → ``matched`` (the trades are
  marked ``reconciled``); a different quantity → ``quantity_mismatch``; else a different price →
  ``price_mismatch``;
* a broker order without recorded trades → ``missing_locally`` (e.g. an order placed by hand in the Schwab app,
  or a fill the platform never booked); recorded trades without a broker order → ``missing_at_broker``.

All strategies trading ``online_live`` share the one Schwab account, so the comparison covers all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from jutsu.scheduler import calendar
from trading.broker.schwab import BrokerOrder, SchwabBroker
from trading.models import (
    Broker,
    LiveTrade,
    ReconciliationKind,
    ReconciliationReport,
    ReconciliationStatus,
)
from trading.modes import Mode

#: Average prices closer than this (per share) are equal (Schwab prices have at most 4 decimals).
PRICE_TOLERANCE = Decimal("0.0001")
SIX_PLACES = Decimal("0.000001")


@dataclass
class _Local:
    """The recorded trades of one order."""

    trades: list[LiveTrade] = field(default_factory=list)

    @property
    def qty(self) -> Decimal:
        return sum((t.quantity for t in self.trades), Decimal(0))

    @property
    def price(self) -> Decimal:
        return (sum((t.quantity * t.fill_price for t in self.trades), Decimal(0)) / self.qty).quantize(SIX_PLACES)

    @property
    def first(self) -> LiveTrade:
        return self.trades[0]


def _day_window(day: date, now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=calendar.NEW_YORK)
    return start, min(now, start + timedelta(days=1))


def _item(kind: str, *, broker: BrokerOrder | None = None, local: _Local | None = None) -> dict[str, Any]:
    trade = local.first if local else None
    return {
        "kind": kind,
        "symbol": broker.symbol if broker else trade.symbol,
        "side": broker.side if broker else trade.action,
        "broker_order_id": broker.order_id if broker else (trade.broker_order_id or None),
        "strategy_id": trade.strategy_id if trade else None,
        "local_qty": str(local.qty) if local else None,
        "local_price": str(local.price) if local else None,
        "broker_qty": str(broker.executed_qty) if broker else None,
        "broker_price": str(broker.avg_price.quantize(SIX_PLACES)) if broker and broker.avg_price else None,
        "trade_ids": [t.pk for t in local.trades] if local else [],
    }


def _compare(broker: BrokerOrder, local: _Local) -> str:
    if local.qty != broker.executed_qty:
        return ReconciliationKind.QUANTITY_MISMATCH
    if abs(local.price - broker.avg_price) > PRICE_TOLERANCE:
        return ReconciliationKind.PRICE_MISMATCH
    return ReconciliationKind.MATCHED


def reconcile(trades: Iterable[LiveTrade], broker_orders: Iterable[BrokerOrder]) -> list[dict[str, Any]]:
    """Compare (see the module docstring); one item per broker order and per unmatched local order."""
    by_broker_id: dict[str, _Local] = defaultdict(_Local)
    without_id: dict[int | None, _Local] = defaultdict(_Local)
    for trade in trades:
        if trade.broker_order_id:
            by_broker_id[trade.broker_order_id].trades.append(trade)
        else:
            without_id[trade.order_id].trades.append(trade)
    items: list[dict[str, Any]] = []
    unmatched: list[BrokerOrder] = []
    for order in broker_orders:
        local = by_broker_id.pop(order.order_id, None)
        if local is not None and (local.first.symbol, local.first.action) == (order.symbol, order.side):
            items.append(_item(_compare(order, local), broker=order, local=local))
        else:
            if local is not None:  # the same id on another symbol/side: not this order's trades
                by_broker_id[order.order_id] = local
            unmatched.append(order)
    for order in unmatched:
        key = next(
            (
                k
                for k, local in without_id.items()
                if (local.first.symbol, local.first.action, local.qty) == (order.symbol, order.side, order.executed_qty)
            ),
            None,
        )
        if key is None:
            items.append(_item(ReconciliationKind.MISSING_LOCALLY, broker=order))
        else:
            local = without_id.pop(key)
            items.append(_item(_compare(order, local), broker=order, local=local))
    for local in [*by_broker_id.values(), *without_id.values()]:
        items.append(_item(ReconciliationKind.MISSING_AT_BROKER, local=local))
    return items


def reconciliation_run(*, day: date, now: datetime, broker: SchwabBroker) -> ReconciliationReport:
    """Reconcile ``day`` as of ``now``: store the report, flag the trades, notify on a mismatch."""
    from trading.notify import notify_reconciliation_mismatch

    trades = list(LiveTrade.objects.filter(mode=Mode.ONLINE_LIVE, trading_date=day).order_by("timestamp", "id"))
    start, end = _day_window(day, now)
    executed = [o for o in broker.orders(start, end) if o.executions]
    items = reconcile(trades, executed)
    counts = {kind: sum(1 for item in items if item["kind"] == kind) for kind in ReconciliationKind.values}
    mismatched = len(items) - counts[ReconciliationKind.MATCHED]
    matched_ids = [tid for item in items if item["kind"] == ReconciliationKind.MATCHED for tid in item["trade_ids"]]
    with transaction.atomic():
        report, _ = ReconciliationReport.objects.update_or_create(
            broker=Broker.SCHWAB,
            trading_date=day,
            defaults={
                "status": ReconciliationStatus.MISMATCH if mismatched else ReconciliationStatus.MATCHED,
                "matched": counts[ReconciliationKind.MATCHED],
                "missing_locally": counts[ReconciliationKind.MISSING_LOCALLY],
                "missing_at_broker": counts[ReconciliationKind.MISSING_AT_BROKER],
                "price_mismatches": counts[ReconciliationKind.PRICE_MISMATCH],
                "quantity_mismatches": counts[ReconciliationKind.QUANTITY_MISMATCH],
                "local_trades": len(trades),
                "broker_orders": len(executed),
                "items": items,
                "checked_at": now,
            },
        )
        day_trades = LiveTrade.objects.filter(mode=Mode.ONLINE_LIVE, trading_date=day)
        day_trades.filter(pk__in=matched_ids).update(reconciled=True)
        day_trades.exclude(pk__in=matched_ids).update(reconciled=False)
        if mismatched:
            notify_reconciliation_mismatch(
                trading_date=day,
                summary={k: v for k, v in counts.items() if k != ReconciliationKind.MATCHED},
                items=[item for item in items if item["kind"] != ReconciliationKind.MATCHED],
            )
    return report
