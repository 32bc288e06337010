"""Building the schwab-py client and the :class:`SchwabBroker` on the stored token and the settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from trading.broker.errors import RELOGIN_HINT, BrokerNotConnected
from trading.broker.schwab import SchwabBroker
from trading.broker.tokens import (
    LOGIN_HINT,
    broker_token_get,
    broker_token_set_account,
    schwab_account_hash_setting,
    schwab_credentials,
    schwab_token_read,
    schwab_token_write,
)


def schwab_client(*, now: datetime | None = None) -> Any:
    """A schwab-py client on the stored token (it writes refreshed tokens back to the store).

    Raises ``BrokerNotConnected`` when the credentials are missing, no token is stored, or the refresh token
    has passed its 7 days (a new login is the only way on).
    """
    from schwab import auth

    api_key, app_secret = schwab_credentials()
    row = broker_token_get()
    if row is None:
        raise BrokerNotConnected(f"no Schwab token is stored: {LOGIN_HINT}")
    moment = now or timezone.now()
    if row.refresh_expires_at <= moment:
        raise BrokerNotConnected(
            f"the Schwab refresh token expired on {row.refresh_expires_at:%Y-%m-%d %H:%M} UTC "
            f"(7 days after the login): {RELOGIN_HINT}"
        )
    try:
        return auth.client_from_access_functions(api_key, app_secret, schwab_token_read, schwab_token_write)
    except (ValueError, KeyError, TypeError) as exc:
        raise BrokerNotConnected(f"the stored Schwab token cannot be used ({exc}): {RELOGIN_HINT}")


def schwab_broker() -> SchwabBroker:
    """The broker of the configured account: ``SCHWAB_ACCOUNT_HASH``, else the one resolved at the login, else
    the login's first account (remembered on the token). The client is built on first use."""
    row = broker_token_get()
    account_hash = schwab_account_hash_setting() or (row.account_hash if row else "")
    return SchwabBroker(
        client_factory=schwab_client,
        account_hash=account_hash,
        on_account_hash=lambda value: broker_token_set_account(value),
    )
