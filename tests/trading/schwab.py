"""Shared pieces of the Schwab tests: credentials, recorded answers, a token in the encrypted store.

Every Schwab test drives the real schwab-py client; respx answers its HTTP requests with the recorded JSON
in ``tests/trading/fixtures/schwab_*.json``.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.trading.conftest import FIXTURES

API = "https://api.schwabapi.com"
TOKEN_ENDPOINT = f"{API}/v1/oauth/token"
ACCOUNT_NUMBERS = f"{API}/trader/v1/accounts/accountNumbers"
QUOTES = f"{API}/marketdata/v1/quotes"
ACCOUNT_HASH = "E8A0B6C5D4F3A2B1C0D9E8F7A6B5C4D3E2F1A0B9C8D7E6F5A4B3C2D1E0F9A8B7"
ACCOUNT = f"{API}/trader/v1/accounts/{ACCOUNT_HASH}"
ORDERS = f"{ACCOUNT}/orders"
ACCESS_TOKEN = "I0.b2F1dGgyLmNkYy5zY2h3YWIuY29t.stored-access"
REFRESH_TOKEN = "Z5.cmVmcmVzaC1zdG9yZWQ.stored-refresh"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def answer(name: str, status: int = 200, **kwargs) -> httpx.Response:
    """A recorded Schwab answer."""
    return httpx.Response(status, json=fixture(name), **kwargs)


def order_location(order_id: int | str) -> dict[str, str]:
    """The ``Location`` header of a placed order."""
    return {"Location": f"{ORDERS}/{order_id}"}


def wrapped_token(*, issued_at: datetime, access_expires_at: datetime, access: str = ACCESS_TOKEN) -> dict:
    """schwab-py's token JSON: the login instant around the OAuth token."""
    return {
        "creation_timestamp": int(issued_at.timestamp()),
        "token": {
            "access_token": access,
            "refresh_token": REFRESH_TOKEN,
            "id_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig",
            "token_type": "Bearer",
            "expires_in": 1800,
            "scope": "api",
            "expires_at": int(access_expires_at.timestamp()),
        },
    }


def store_token(*, issued_at: datetime, access_valid_for: timedelta = timedelta(minutes=30), account_hash: str = ""):
    """Put a token in the encrypted store as a login at ``issued_at`` would (access token valid from now on)."""
    from django.utils import timezone

    from trading.broker.tokens import broker_token_save, broker_token_set_account

    row = broker_token_save(wrapped_token(issued_at=issued_at, access_expires_at=timezone.now() + access_valid_for))
    if account_hash:
        broker_token_set_account(account_hash)
        row.refresh_from_db()
    return row


def schwab_order(
    order_id: int,
    symbol: str,
    side: str,
    qty: int,
    *,
    status: str = "FILLED",
    executions: list[tuple[int, str, str]] | None = None,
    entered: str = "2026-11-24T14:45:01+0000",
) -> dict:
    """An order as ``GET …/orders/{id}`` answers it (the recorded one, with the given fields): ``executions``
    are ``(qty, price, time)``; by default a FILLED order is one execution of everything at 500.05."""
    body = copy.deepcopy(fixture("schwab_order_filled.json"))
    if executions is None:
        executions = [(qty, "500.05", "2026-11-24T14:45:02+0000")] if status == "FILLED" else []
    filled = sum(e[0] for e in executions)
    leg = body["orderLegCollection"][0]
    leg["instrument"]["symbol"] = symbol
    leg["instruction"] = side
    leg["positionEffect"] = "OPENING" if side == "BUY" else "CLOSING"
    leg["quantity"] = float(qty)
    body.update(
        orderId=order_id,
        quantity=float(qty),
        filledQuantity=float(filled),
        remainingQuantity=float(qty - filled) if status not in ("CANCELED", "FILLED", "REJECTED") else 0.0,
        status=status,
        enteredTime=entered,
        cancelable=status in ("WORKING", "QUEUED", "ACCEPTED", "PENDING_ACTIVATION"),
    )
    remaining = qty
    activities = []
    for number, (done, price, at) in enumerate(executions, start=1):
        remaining -= done
        activities.append(
            {
                "activityType": "EXECUTION",
                "activityId": 80000000000 + order_id % 1000 * 10 + number,
                "executionType": "FILL",
                "quantity": float(done),
                "orderRemainingQuantity": float(remaining),
                "executionLegs": [
                    {
                        "legId": 1,
                        "quantity": float(done),
                        "mismarkedQuantity": 0.0,
                        "price": float(price),
                        "time": at,
                        "instrumentId": 1234567,
                    }
                ],
            }
        )
    if activities:
        body["orderActivityCollection"] = activities
    else:
        body.pop("orderActivityCollection", None)
    if status == "FILLED":
        body["closeTime"] = executions[-1][2]
    else:
        body.pop("closeTime", None)
    return body


class FakeClock:
    """The executor's monotonic clock and sleep: sleeping advances the clock, nobody waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
