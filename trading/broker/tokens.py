"""The encrypted token store and the schwab-py client built on it.

schwab-py keeps its token as ``{"creation_timestamp": <login, epoch s>, "token": {access_token, refresh_token,
expires_at, …}}`` and hands it to a *write function* at the login and after every access-token refresh (the
``creation_timestamp`` stays that of the login: it dates the refresh token). :func:`schwab_token_read` and
:func:`schwab_token_write` are those functions for ``schwab.auth.client_from_access_functions`` /
``client_from_received_url``: the JSON is stored Fernet-encrypted (``accounts.crypto``) in ``BrokerToken``,
next to the two instants the status needs in clear (refresh token issued, access token expiry).

A new login (another ``creation_timestamp``) resets the expiry-alert state and the resolved account; a write
carrying an *older* login than the stored one (a process still holding the previous token) is ignored.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.crypto import DecryptionError, decrypt_text, encrypt_text
from jutsu.conf.secrets import get_secret
from jutsu.errors import InvalidParameter
from trading.broker.errors import RELOGIN_HINT, BrokerNotConnected
from trading.models import Broker, BrokerToken

logger = logging.getLogger(__name__)

LOGIN_HINT = "log in to Schwab (POST /api/schwab/auth/initiate, then /api/schwab/auth/callback)"


class BrokerNotConfigured(BrokerNotConnected):
    """The Schwab app key / secret are not set."""

    code = "broker_not_configured"
    status_code = 400


# ── configuration ─────────────────────────────────────────────────────────────────────────────────


def schwab_credentials() -> tuple[str, str]:
    """The Schwab app key and secret (secrets ``schwab_api_key`` / ``schwab_app_secret``)."""
    api_key = get_secret("schwab_api_key", "SCHWAB_API_KEY")
    app_secret = get_secret("schwab_app_secret", "SCHWAB_APP_SECRET")
    if not api_key or not app_secret:
        raise BrokerNotConfigured(
            "Schwab API credentials are not configured (set SCHWAB_API_KEY and SCHWAB_APP_SECRET, "
            "or their *_FILE / Docker secrets)"
        )
    return api_key, app_secret


def schwab_configured() -> bool:
    """True when the app key and secret are set."""
    try:
        schwab_credentials()
    except BrokerNotConfigured:
        return False
    return True


def schwab_callback_url() -> str:
    """The OAuth redirect URL registered with the Schwab app (``SCHWAB_CALLBACK_URL``)."""
    return settings.SCHWAB_CALLBACK_URL


def schwab_account_hash_setting() -> str:
    """The account chosen with ``SCHWAB_ACCOUNT_HASH`` ("" = the login's first account)."""
    return settings.SCHWAB_ACCOUNT_HASH


# ── the store ─────────────────────────────────────────────────────────────────────────────────────


def broker_token_get(broker: str = Broker.SCHWAB) -> BrokerToken | None:
    """The stored token row of ``broker`` (``None`` before the first login)."""
    return BrokerToken.objects.filter(broker=broker).first()


def _instant(epoch_seconds: Any, what: str) -> datetime:
    if isinstance(epoch_seconds, bool) or not isinstance(epoch_seconds, int | float):
        raise InvalidParameter(f"the Schwab token's {what} is not a timestamp: {epoch_seconds!r}")
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def broker_token_save(wrapped: dict, *, broker: str = Broker.SCHWAB) -> BrokerToken | None:
    """Store schwab-py's wrapped token (encrypted). Returns the row, or ``None`` when the write was ignored
    because it carries an older login than the stored token."""
    if not isinstance(wrapped, dict) or not isinstance(wrapped.get("token"), dict):
        raise InvalidParameter("a Schwab token must look like {'creation_timestamp': …, 'token': {…}}")
    token = wrapped["token"]
    if not token.get("refresh_token") or not token.get("access_token"):
        raise InvalidParameter("the Schwab token has no access_token or refresh_token")
    issued = _instant(wrapped.get("creation_timestamp"), "creation_timestamp")
    expires = _instant(token["expires_at"], "expires_at") if token.get("expires_at") is not None else None
    ciphertext = encrypt_text(json.dumps(wrapped, separators=(",", ":")))
    with transaction.atomic():
        row = BrokerToken.objects.select_for_update().filter(broker=broker).first()
        if row is None:
            return BrokerToken.objects.create(
                broker=broker, token_encrypted=ciphertext, refresh_issued_at=issued, access_expires_at=expires
            )
        if issued < row.refresh_issued_at:
            logger.warning("ignored a %s token write of an older login (%s)", broker, issued)
            return None
        if issued != row.refresh_issued_at:  # a new login: a new 7-day clock, maybe another account
            row.expiry_alert_tier = ""
            row.expiry_checked_at = None
            row.account_hash = ""
            row.created_by = None
        row.token_encrypted = ciphertext
        row.refresh_issued_at = issued
        row.access_expires_at = expires
        row.save()
    return row


def broker_token_set_account(account_hash: str, *, user=None, broker: str = Broker.SCHWAB) -> None:
    """Remember the account orders go to (and who logged in), on the stored token."""
    fields: dict[str, Any] = {"account_hash": account_hash, "updated_at": timezone.now()}
    if user is not None and getattr(user, "is_authenticated", False):
        fields["created_by"] = user
    BrokerToken.objects.filter(broker=broker).update(**fields)


def schwab_token_read() -> dict:
    """schwab-py's read function: the stored token JSON (``BrokerNotConnected`` without a usable one)."""
    row = broker_token_get()
    if row is None:
        raise BrokerNotConnected(f"no Schwab token is stored: {LOGIN_HINT}")
    try:
        return json.loads(decrypt_text(row.token_encrypted))
    except DecryptionError:
        raise BrokerNotConnected(f"the stored Schwab token cannot be decrypted (FERNET_KEY changed?): {RELOGIN_HINT}")


def schwab_token_write(token: dict, *args: Any, **kwargs: Any) -> None:
    """schwab-py's write function (called at the login and after each access-token refresh)."""
    broker_token_save(token)
