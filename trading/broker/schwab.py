"""The Schwab Trader and Market Data APIs through ``schwab-py``: quotes, the account, orders.

:class:`SchwabBroker` wraps a schwab-py ``Client`` and answers in plain dataclasses with ``Decimal`` money
(responses are parsed with ``parse_float=Decimal``, so no price passes through a float). Every failure is a
:class:`~trading.broker.errors.BrokerError` that says whether retrying can help:

* HTTP 401/403, or a refresh the token endpoint refuses → ``BrokerNotConnected`` (permanent, "log in to Schwab
  again"); an order Schwab refuses (HTTP 400/422) → ``OrderRejected`` (permanent, Schwab's reason);
* HTTP 429, 5xx, timeouts and connection errors → transient.

Schwab orders carry no client order id: an order is identified by the id in the ``Location`` header of the
``place_order`` answer, and found again after a crash by symbol, side, quantity and entry time.
Schwab's quote ``closePrice`` is the *previous* session's close; the day's close is
``regular.regularMarketLastPrice`` (``lastPrice`` also moves after hours).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trading.broker.errors import RELOGIN_HINT, BrokerError, BrokerNotConnected, OrderRejected

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
#: Schwab statuses after which an order changes no more.
FINAL_STATUSES = frozenset({"FILLED", "CANCELED", "REJECTED", "EXPIRED", "REPLACED"})
BUY_INSTRUCTIONS = frozenset({"BUY", "BUY_TO_COVER", "BUY_TO_OPEN", "BUY_TO_CLOSE"})
SELL_INSTRUCTIONS = frozenset({"SELL", "SELL_SHORT", "SELL_TO_OPEN", "SELL_TO_CLOSE"})
ORDER_LOCATION = re.compile(r"/accounts/(?P<account>[^/]+)/orders/(?P<order>\d+)/?$")


@dataclass(frozen=True)
class BrokerQuote:
    """A Schwab quote. ``last`` is the last trade (any session); ``regular_last`` the regular session's last
    trade (the close once the session ended); ``open``/``high``/``low``/``volume`` the day so far."""

    symbol: str
    last: Decimal
    regular_last: Decimal | None
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    volume: int | None
    previous_close: Decimal | None
    trade_at: datetime | None
    regular_trade_at: datetime | None


@dataclass(frozen=True)
class BrokerPosition:
    """A long position at the broker (``qty`` = long − short quantity)."""

    symbol: str
    qty: Decimal
    avg_price: Decimal
    market_value: Decimal


@dataclass(frozen=True)
class BrokerAccount:
    """Balances and positions. ``buying_power`` is what may be spent on a buy *without borrowing*: a cash
    account's ``cashAvailableForTrading``, a margin account's ``availableFunds`` (never margin buying power)."""

    account_type: str
    cash: Decimal
    buying_power: Decimal
    liquidation_value: Decimal
    positions: dict[str, BrokerPosition]


@dataclass(frozen=True)
class BrokerExecution:
    """One execution (fill) of an order."""

    qty: Decimal
    price: Decimal
    at: datetime


@dataclass(frozen=True)
class BrokerOrder:
    """An order as Schwab reports it. ``side`` is ``BUY``/``SELL``; ``status`` Schwab's status."""

    order_id: str
    symbol: str
    side: str
    qty: Decimal
    filled_qty: Decimal
    status: str
    entered_at: datetime | None
    executions: tuple[BrokerExecution, ...] = ()

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def executed_qty(self) -> Decimal:
        return sum((e.qty for e in self.executions), ZERO)

    @property
    def avg_price(self) -> Decimal | None:
        qty = self.executed_qty
        if not qty:
            return None
        return sum((e.qty * e.price for e in self.executions), ZERO) / qty


def _errors() -> tuple[tuple[type[BaseException], ...], type[BaseException]]:
    import httpx
    from authlib.integrations.base_client.errors import OAuthError

    return (httpx.HTTPError,), OAuthError


class SchwabBroker:
    """Quotes, account, orders of one Schwab account (see the module docstring).

    ``client`` is a schwab-py client, or ``client_factory()`` builds one on first use. ``account_hash`` is the
    account to use; without one the login's first account is taken (and ``on_account_hash`` told).
    """

    def __init__(
        self,
        *,
        client: Any = None,
        client_factory: Callable[[], Any] | None = None,
        account_hash: str = "",
        on_account_hash: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self._client_factory = client_factory
        self._account_hash = account_hash
        self._on_account_hash = on_account_hash

    # ── plumbing ───────────────────────────────────────────────────────────────────────────────────

    def client(self) -> Any:
        if self._client is None:
            if self._client_factory is None:
                raise BrokerNotConnected("no Schwab client is configured")
            self._client = self._client_factory()
        return self._client

    def _call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a client method; transport and token failures become ``BrokerError``s naming ``what``."""
        transport, oauth_error = _errors()
        try:
            return getattr(self.client(), method)(*args, **kwargs)
        except oauth_error as exc:  # the token endpoint refused a refresh: the refresh token is gone
            raise BrokerNotConnected(f"Schwab refused to refresh the token for {what} ({exc}): {RELOGIN_HINT}")
        except transport as exc:
            raise BrokerError(f"Schwab could not be reached for {what}: {type(exc).__name__}: {exc}")

    @staticmethod
    def _json(response: Any, what: str, *, rejected: bool = False) -> Any:
        """The parsed body of a successful answer (``Decimal`` numbers); errors mapped (module docstring)."""
        status = response.status_code
        if status in (401, 403):
            raise BrokerNotConnected(
                f"Schwab refused {what} (HTTP {status}): the token has expired or was revoked — {RELOGIN_HINT}"
            )
        if status == 429:
            raise BrokerError(f"Schwab rate limit reached for {what} (HTTP 429)")
        if status >= 500:
            raise BrokerError(f"Schwab failed {what} (HTTP {status}): {_error_text(response)}")
        if status >= 400:
            message = f"Schwab refused {what} (HTTP {status}): {_error_text(response)}"
            if rejected:
                raise OrderRejected(message)
            raise BrokerError(message, permanent=True)
        if status in (201, 204) or not response.content:
            return None
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            raise BrokerError(f"Schwab's answer to {what} was not JSON")

    # ── accounts ───────────────────────────────────────────────────────────────────────────────────

    def account_numbers(self) -> list[tuple[str, str]]:
        """``[(account number, account hash)]`` of the login."""
        body = self._json(self._call("the account list", "get_account_numbers"), "the account list")
        if not isinstance(body, list):
            raise BrokerError("Schwab's account list has an unexpected shape", permanent=True)
        return [(str(a.get("accountNumber", "")), str(a["hashValue"])) for a in body if a.get("hashValue")]

    def account_hash(self) -> str:
        """The account in use: the one given, else the login's first (reported to ``on_account_hash``)."""
        if not self._account_hash:
            accounts = self.account_numbers()
            if not accounts:
                raise BrokerError("this Schwab login has no account", permanent=True)
            self._account_hash = accounts[0][1]
            if self._on_account_hash is not None:
                self._on_account_hash(self._account_hash)
        return self._account_hash

    def account(self) -> BrokerAccount:
        """Balances and positions of the account in use."""
        from schwab.client import Client

        account_hash = self.account_hash()
        response = self._call("the account", "get_account", account_hash, fields=[Client.Account.Fields.POSITIONS])
        body = self._json(response, "the account")
        try:
            return _parse_account(body["securitiesAccount"])
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise BrokerError(f"Schwab's account answer has an unexpected shape ({exc!r})", permanent=True)

    # ── quotes ─────────────────────────────────────────────────────────────────────────────────────

    def quotes(self, symbols: Sequence[str]) -> dict[str, BrokerQuote]:
        """The current quotes of ``symbols`` (symbols Schwab does not know are absent)."""
        if not symbols:
            return {}
        body = self._json(self._call("quotes", "get_quotes", list(symbols)), "quotes")
        if not isinstance(body, dict):
            raise BrokerError("Schwab's quotes answer has an unexpected shape", permanent=True)
        found: dict[str, BrokerQuote] = {}
        for symbol in symbols:
            entry = body.get(symbol)
            if not isinstance(entry, dict):
                continue
            quote = _parse_quote(symbol, entry)
            if quote is not None:
                found[symbol] = quote
        return found

    # ── orders ─────────────────────────────────────────────────────────────────────────────────────

    def place_market_order(self, symbol: str, side: str, qty: int) -> str | None:
        """Place a day market order for ``qty`` whole shares; the broker's order id (``None`` when Schwab
        accepted it without a ``Location`` header — find it with :meth:`orders`)."""
        from schwab.orders.equities import equity_buy_market, equity_sell_market

        if side not in ("BUY", "SELL") or qty <= 0 or int(qty) != qty:
            raise OrderRejected(f"cannot place {side} {qty} {symbol}: market orders are whole-share BUY or SELL")
        builder = equity_buy_market if side == "BUY" else equity_sell_market
        account_hash = self.account_hash()
        what = f"the {side} order of {qty} {symbol}"
        response = self._call(what, "place_order", account_hash, builder(symbol, int(qty)))
        self._json(response, what, rejected=True)
        match = ORDER_LOCATION.search(response.headers.get("Location", ""))
        if match is None:
            logger.warning("Schwab accepted %s without an order id in Location", what)
            return None
        return match.group("order")

    def order(self, order_id: str) -> BrokerOrder:
        """The order ``order_id`` with its executions."""
        what = f"order {order_id}"
        body = self._json(self._call(what, "get_order", int(order_id), self.account_hash()), what)
        order = _parse_order(body) if isinstance(body, dict) else None
        if order is None:
            raise BrokerError(f"Schwab's answer for {what} is not a single-leg equity order", permanent=True)
        return order

    def cancel(self, order_id: str) -> None:
        """Ask Schwab to cancel ``order_id`` (an order that is already final answers 400: ignored)."""
        what = f"the cancellation of order {order_id}"
        try:
            self._json(self._call(what, "cancel_order", int(order_id), self.account_hash()), what)
        except BrokerError as exc:
            if exc.permanent and not isinstance(exc, BrokerNotConnected):
                logger.info("cancel of Schwab order %s refused (already final?): %s", order_id, exc)
                return
            raise

    def orders(self, start: datetime, end: datetime) -> list[BrokerOrder]:
        """The single-leg equity orders entered between ``start`` and ``end`` (aware), oldest first."""
        what = f"the orders entered {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"
        response = self._call(
            what,
            "get_orders_for_account",
            self.account_hash(),
            from_entered_datetime=start.astimezone(UTC),
            to_entered_datetime=end.astimezone(UTC),
        )
        body = self._json(response, what)
        if not isinstance(body, list):
            raise BrokerError(f"Schwab's answer for {what} has an unexpected shape", permanent=True)
        orders = [o for o in (_parse_order(item) for item in body if isinstance(item, dict)) if o is not None]
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(orders, key=lambda o: (o.entered_at or epoch, o.order_id))


# ── parsing ───────────────────────────────────────────────────────────────────────────────────────


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _epoch_ms(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value <= 0:
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _instant(value: Any) -> datetime | None:
    """Schwab's order times: ``2026-11-24T14:45:02+0000``."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_quote(symbol: str, entry: dict) -> BrokerQuote | None:
    quote = entry.get("quote") or {}
    regular = entry.get("regular") or {}
    last = _decimal(quote.get("lastPrice"))
    if last is None or last <= 0:
        return None
    volume = quote.get("totalVolume")
    return BrokerQuote(
        symbol=symbol,
        last=last,
        regular_last=_decimal(regular.get("regularMarketLastPrice")),
        open=_decimal(quote.get("openPrice")),
        high=_decimal(quote.get("highPrice")),
        low=_decimal(quote.get("lowPrice")),
        volume=int(volume) if isinstance(volume, int | Decimal) and not isinstance(volume, bool) else None,
        previous_close=_decimal(quote.get("closePrice")),
        trade_at=_epoch_ms(quote.get("tradeTime")),
        regular_trade_at=_epoch_ms(regular.get("regularMarketTradeTime")),
    )


def _parse_account(account: dict) -> BrokerAccount:
    balances = account.get("currentBalances") or {}
    account_type = str(account.get("type", ""))
    if account_type == "CASH":
        buying_power = balances.get("cashAvailableForTrading")
    else:
        buying_power = balances.get("availableFunds", balances.get("cashAvailableForTrading"))
    positions: dict[str, BrokerPosition] = {}
    for item in account.get("positions") or []:
        instrument = item.get("instrument") or {}
        if instrument.get("assetType") not in ("EQUITY", "COLLECTIVE_INVESTMENT"):
            continue
        symbol = str(instrument["symbol"])
        qty = (_decimal(item.get("longQuantity")) or ZERO) - (_decimal(item.get("shortQuantity")) or ZERO)
        positions[symbol] = BrokerPosition(
            symbol=symbol,
            qty=qty,
            avg_price=_decimal(item.get("averagePrice")) or ZERO,
            market_value=_decimal(item.get("marketValue")) or ZERO,
        )
    return BrokerAccount(
        account_type=account_type,
        cash=_decimal(balances.get("cashBalance", balances.get("totalCash"))) or ZERO,
        buying_power=max(_decimal(buying_power) or ZERO, ZERO),
        liquidation_value=_decimal(balances.get("liquidationValue")) or ZERO,
        positions=positions,
    )


def _executions(activities: Iterable[Any]) -> tuple[BrokerExecution, ...]:
    found: list[BrokerExecution] = []
    for activity in activities:
        if not isinstance(activity, dict) or activity.get("activityType") != "EXECUTION":
            continue
        for leg in activity.get("executionLegs") or []:
            qty, price, at = _decimal(leg.get("quantity")), _decimal(leg.get("price")), _instant(leg.get("time"))
            if qty and qty > 0 and price and price > 0 and at is not None:
                found.append(BrokerExecution(qty=qty, price=price, at=at))
    return tuple(sorted(found, key=lambda e: e.at))


def _parse_order(body: dict) -> BrokerOrder | None:
    legs = body.get("orderLegCollection") or []
    if len(legs) != 1 or not isinstance(legs[0], dict):
        return None
    leg = legs[0]
    instrument = leg.get("instrument") or {}
    instruction = leg.get("instruction")
    side = "BUY" if instruction in BUY_INSTRUCTIONS else "SELL" if instruction in SELL_INSTRUCTIONS else None
    if side is None or not instrument.get("symbol") or body.get("orderId") is None:
        return None
    return BrokerOrder(
        order_id=str(body["orderId"]),
        symbol=str(instrument["symbol"]),
        side=side,
        qty=_decimal(body.get("quantity", leg.get("quantity"))) or ZERO,
        filled_qty=_decimal(body.get("filledQuantity")) or ZERO,
        status=str(body.get("status", "UNKNOWN")),
        entered_at=_instant(body.get("enteredTime")),
        executions=_executions(body.get("orderActivityCollection") or []),
    )


def _error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:300] or "no detail"
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "errors"):
            if body.get(key):
                return str(body[key])[:300]
    return str(body)[:300]
