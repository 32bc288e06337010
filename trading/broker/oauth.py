"""The Schwab login (OAuth authorisation-code flow) through the API, and deleting the token.

1. :func:`schwab_auth_initiate` (admin) — a fresh ``state``; the authorisation URL to open in a browser. The
   request is kept server-side (``BrokerAuthRequest``: the state's digest, the callback URL, an expiry).
2. The admin logs in at Schwab, which redirects the browser to ``SCHWAB_CALLBACK_URL?code=…&state=…`` (the
   page may fail to load: only its address matters).
3. :func:`schwab_auth_complete` (admin) — that address: the state must belong to an unexpired request
   started here; the code is exchanged for the token (schwab-py's ``client_from_received_url``), stored
   encrypted; the account to trade is resolved. Schwab's code is valid for about 30 seconds.

Each step writes a security event (``OAUTH_INITIATED`` / ``OAUTH_COMPLETED`` / ``OAUTH_FAILED`` /
``OAUTH_TOKEN_DELETED``). No token, code or state is ever written to an event or a log.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from django.utils import timezone

from jutsu.errors import InvalidParameter
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record
from trading.broker.errors import BrokerError
from trading.broker.schwab import SchwabBroker
from trading.broker.tokens import (
    broker_token_get,
    broker_token_set_account,
    schwab_account_hash_setting,
    schwab_callback_url,
    schwab_credentials,
    schwab_token_write,
)
from trading.models import Broker, BrokerAuthRequest, BrokerToken

logger = logging.getLogger(__name__)

#: How long a started login may take until its callback is accepted.
AUTH_REQUEST_LIFETIME = timedelta(minutes=10)
RESTART_HINT = "start again with POST /api/schwab/auth/initiate"


class AuthorizationFailed(InvalidParameter):
    """The callback cannot complete the login (the message says why and what to do)."""

    code = "oauth_failed"


@dataclass(frozen=True)
class AuthorizationStart:
    """What the admin needs to log in: the URL to open, where Schwab will redirect, until when."""

    authorization_url: str
    callback_url: str
    expires_at: datetime


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def schwab_auth_initiate(*, user, request=None, now: datetime | None = None) -> AuthorizationStart:
    """Start a login: keep the request server-side and return the Schwab authorisation URL."""
    from schwab import auth

    api_key, _ = schwab_credentials()
    moment = now or timezone.now()
    callback_url = schwab_callback_url()
    context = auth.get_auth_context(api_key, callback_url, state=secrets.token_urlsafe(32))
    BrokerAuthRequest.objects.filter(expires_at__lte=moment).delete()
    pending = BrokerAuthRequest.objects.create(
        broker=Broker.SCHWAB,
        state_digest=_digest(context.state),
        callback_url=callback_url,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        created_at=moment,
        expires_at=moment + AUTH_REQUEST_LIFETIME,
    )
    security_event_record(
        SecurityEventType.OAUTH_INITIATED,
        user=user,
        request=request,
        details={"broker": Broker.SCHWAB, "callback_url": callback_url, "expires_at": pending.expires_at.isoformat()},
    )
    return AuthorizationStart(context.authorization_url, callback_url, pending.expires_at)


def _fail(reason: str, *, user, request) -> AuthorizationFailed:
    security_event_record(
        SecurityEventType.OAUTH_FAILED, user=user, request=request, details={"broker": Broker.SCHWAB, "reason": reason}
    )
    return AuthorizationFailed(reason)


def _received_state(received_url: str) -> str:
    """The ``state`` of the address Schwab redirected to; ``InvalidParameter`` naming what is wrong."""
    parts = urlsplit(received_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidParameter(
            "received_url must be the whole address the browser was sent to after the Schwab login "
            "(https://…?code=…&state=…)"
        )
    params = dict(parse_qsl(parts.query))
    if params.get("error"):
        detail = params.get("error_description") or ""
        raise InvalidParameter(f"Schwab did not authorise the login: {params['error']} {detail}".strip())
    if not params.get("code"):
        raise InvalidParameter("the received URL has no code= parameter: paste the whole address after the login")
    if not params.get("state"):
        raise InvalidParameter("the received URL has no state= parameter: paste the whole address after the login")
    return params["state"]


def schwab_auth_complete(*, received_url: str, user, request=None, now: datetime | None = None) -> BrokerToken:
    """Finish a login from the address Schwab redirected to: exchange the code, store the token encrypted,
    resolve the account. Every refusal is an ``AuthorizationFailed`` (400) naming the reason."""
    import httpx
    from authlib.integrations.base_client.errors import OAuthError
    from schwab import auth

    moment = now or timezone.now()
    try:
        state = _received_state(received_url)
    except InvalidParameter as exc:
        raise _fail(str(exc), user=user, request=request)
    pending = BrokerAuthRequest.objects.filter(broker=Broker.SCHWAB, state_digest=_digest(state)).first()
    if pending is None:
        raise _fail(
            f"the received URL's state does not belong to a login started here (or it was used already): "
            f"{RESTART_HINT}",
            user=user,
            request=request,
        )
    if pending.expires_at <= moment:
        pending.delete()
        raise _fail(
            f"the login started at {pending.created_at:%H:%M:%S} UTC expired at {pending.expires_at:%H:%M:%S} UTC: "
            f"{RESTART_HINT}",
            user=user,
            request=request,
        )
    api_key, app_secret = schwab_credentials()
    context = auth.AuthContext(pending.callback_url, "", state)
    pending.delete()  # single use, whatever Schwab answers
    try:
        client = auth.client_from_received_url(api_key, app_secret, context, received_url.strip(), schwab_token_write)
    except OAuthError as exc:
        raise _fail(
            f"Schwab refused the authorisation code ({exc.error}: {exc.description or 'no detail'}); the code is "
            f"valid for about 30 seconds — {RESTART_HINT} and paste the address at once",
            user=user,
            request=request,
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:  # unreachable, or an unusable answer
        _fail(f"the token exchange with Schwab failed: {type(exc).__name__}", user=user, request=request)
        raise BrokerError(f"the token exchange with Schwab failed ({type(exc).__name__}): {RESTART_HINT}")
    account_note = _resolve_account(client, user=user)
    token = broker_token_get()
    security_event_record(
        SecurityEventType.OAUTH_COMPLETED,
        user=user,
        request=request,
        details={
            "broker": Broker.SCHWAB,
            "refresh_expires_at": token.refresh_expires_at.isoformat() if token else None,
            "account": account_note,
        },
    )
    return token


def _resolve_account(client, *, user) -> str:
    """Remember the account to trade (the configured one must belong to the login); a note for the event."""
    configured = schwab_account_hash_setting()
    try:
        hashes = [account_hash for _, account_hash in SchwabBroker(client=client).account_numbers()]
    except BrokerError as exc:
        logger.warning("Schwab login stored, but the account list failed: %s", exc)
        broker_token_set_account("", user=user)
        return "account list unavailable"
    if configured:
        broker_token_set_account(configured, user=user)
        return "SCHWAB_ACCOUNT_HASH" if configured in hashes else "SCHWAB_ACCOUNT_HASH is not an account of this login"
    broker_token_set_account(hashes[0] if hashes else "", user=user)
    return "first account" if hashes else "the login has no account"


def schwab_token_delete(*, user, request=None) -> bool:
    """Delete the stored token (trading and Schwab market data stop until the next login). True if one existed."""
    deleted, _ = BrokerToken.objects.filter(broker=Broker.SCHWAB).delete()
    BrokerAuthRequest.objects.filter(broker=Broker.SCHWAB).delete()
    security_event_record(
        SecurityEventType.OAUTH_TOKEN_DELETED,
        user=user,
        request=request,
        details={"broker": Broker.SCHWAB, "existed": bool(deleted)},
    )
    return bool(deleted)
