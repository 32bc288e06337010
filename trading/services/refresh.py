"""Refreshing equity between trading runs: quotes → marks → one snapshot per account → ``data_refresh``.

The hourly refresh (during the session) and the market-close refresh (after it) price every held symbol of
every active strategy's trading account through the ``QuoteSource`` chain — the replay source for a past
as-of moment, so a replay never sees a price after its moment — mark the positions to market
(``positions_mark``: values only, never quantities), report each account's equity through the equity hook
(``trading.equity``; ``performance`` stores the snapshot) and publish one ``data_refresh`` event.

Refreshes compute P&L and equity only: they never decide, trade or write regime state (ADR-04). A held
symbol without a quote keeps its previous mark (reported as ``stale``); an account that cannot be valued at
all is reported and the others go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from jutsu.events import publish
from jutsu.scheduler import calendar
from trading.equity import HOURLY_REFRESH, MARKET_CLOSE, EquityObservation, equity_observe
from trading.models import Position, TradingAccount
from trading.modes import EQUITY_MODES
from trading.quotes import QuoteSource, quote_source_for
from trading.services.ledger import account_value, positions_mark

logger = logging.getLogger(__name__)

#: refresh_type of the ``data_refresh`` event → source of the equity observation.
REFRESH_SOURCES = {"hourly": HOURLY_REFRESH, "market_close": MARKET_CLOSE}


@dataclass
class RefreshSummary:
    """What one refresh did: accounts snapshotted, positions marked, symbols priced from a stale mark."""

    refresh_type: str
    trading_date: date
    accounts: list[str] = field(default_factory=list)
    marked: int = 0
    stale: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{len(self.accounts)} account(s) refreshed, {self.marked} position(s) marked"
        if self.stale:
            text += f"; no quote (previous mark kept): {', '.join(sorted(set(self.stale)))}"
        if self.failed:
            text += f"; not refreshed: {'; '.join(self.failed)}"
        return text


def refresh_accounts(day: date) -> list[TradingAccount]:
    """Accounts of the active strategies in the modes that hold equity, opened on or before ``day``."""
    from strategies.selectors import strategies_list

    active = list(strategies_list(active_only=True).values_list("strategy_id", flat=True))
    rows = TradingAccount.objects.filter(strategy_id__in=active, mode__in=EQUITY_MODES, started_on__lte=day)
    order = {strategy_id: index for index, strategy_id in enumerate(active)}
    return sorted(rows, key=lambda a: (order[a.strategy_id], a.mode))


def equity_refresh(
    *, as_of: datetime, refresh_type: str, quotes: QuoteSource | None = None, now: datetime | None = None
) -> RefreshSummary:
    """Mark every account of :func:`refresh_accounts` at ``as_of`` and report its equity (module docstring).

    ``quotes`` defaults to ``quote_source_for(as_of, now=now)``; ``refresh_type`` is ``hourly`` or
    ``market_close``.
    """
    if refresh_type not in REFRESH_SOURCES:
        raise ValueError(f"refresh_type must be one of {', '.join(REFRESH_SOURCES)}, got {refresh_type!r}")
    day = calendar.market_date(as_of)
    summary = RefreshSummary(refresh_type, day)
    accounts = refresh_accounts(day)
    if not accounts:
        return summary
    held = Position.objects.filter(
        quantity__gt=0, strategy_id__in={a.strategy_id for a in accounts}, mode__in={a.mode for a in accounts}
    )
    last_marks: dict[tuple[str, str], dict[str, Decimal | None]] = {}
    for position in held:
        last_marks.setdefault((position.strategy_id, position.mode), {})[position.symbol] = position.last_price
    symbols = sorted({symbol for marks in last_marks.values() for symbol in marks})
    source = quotes or quote_source_for(as_of, now=now or timezone.now())
    fresh = {symbol: quote.price for symbol, quote in source.quotes(symbols, at=as_of).items()} if symbols else {}
    for account in accounts:
        label = f"{account.strategy_id}/{account.mode}"
        marks = last_marks.get((account.strategy_id, account.mode), {})
        try:
            summary.marked += _refresh_one(account, marks, fresh, as_of, REFRESH_SOURCES[refresh_type], summary)
        except Exception as exc:  # one account never stops the others
            logger.exception("refresh of %s failed", label)
            summary.failed.append(f"{label}: {exc}")
            continue
        summary.accounts.append(label)
    publish(
        "data_refresh",
        {
            "refresh_type": refresh_type,
            "strategies": sorted({label.split("/")[0] for label in summary.accounts}),
            "date": day.isoformat(),
        },
    )
    return summary


def _refresh_one(
    account: TradingAccount,
    marks: dict[str, Decimal | None],
    fresh: dict[str, Decimal],
    as_of: datetime,
    source: str,
    summary: RefreshSummary,
) -> int:
    prices: dict[str, Decimal] = {}
    for symbol, last in marks.items():
        if symbol in fresh:
            prices[symbol] = fresh[symbol]
        elif last is not None:
            prices[symbol] = last
            summary.stale.append(symbol)
        else:
            raise ValueError(f"no quote and no previous mark for {symbol}")
    marked = positions_mark(
        strategy_id=account.strategy_id,
        mode=account.mode,
        prices={s: p for s, p in prices.items() if s in fresh},
        at=as_of,
    )
    value = account_value(account, prices)
    equity_observe(
        EquityObservation(
            strategy_id=account.strategy_id,
            mode=account.mode,
            source=source,
            timestamp=as_of,
            total_equity=value.equity,
            cash=value.cash,
            positions_value=value.positions_value,
            positions=value.positions,
        )
    )
    return marked
