"""What the status endpoints and the overview show about the Schwab connection (reads only).

The refresh token lasts 7 days from the login (``BrokerToken.refresh_issued_at``); :func:`expiry_tier` names
how close it is to its end, the same tiers the ``token_expiry_check`` job alerts on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from trading.broker.tokens import broker_token_get, schwab_account_hash_setting, schwab_callback_url, schwab_configured
from trading.models import EXPIRY_TIER_LIMITS, Broker, BrokerAuthRequest, BrokerToken

_UNREAD: Any = object()


def expiry_tier(time_left: timedelta) -> str | None:
    """The most urgent tier whose limit ``time_left`` has reached (``None``: more than 5 days left)."""
    tier = None
    for name, limit in EXPIRY_TIER_LIMITS:
        if time_left <= limit:
            tier = name
    return tier


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def schwab_token_status(*, now: datetime, row: BrokerToken | None = _UNREAD) -> dict[str, Any] | None:
    """The stored token's ages and expiries at ``now`` (``None`` without a token). No secret is included."""
    if row is _UNREAD:
        row = broker_token_get()
    if row is None:
        return None
    left = row.refresh_expires_at - now
    return {
        "refresh_token_issued_at": _iso(row.refresh_issued_at),
        "refresh_token_age_seconds": max(int((now - row.refresh_issued_at).total_seconds()), 0),
        "refresh_token_expires_at": _iso(row.refresh_expires_at),
        "refresh_token_seconds_left": max(int(left.total_seconds()), 0),
        "refresh_token_expired": left <= timedelta(0),
        "expiry_tier": expiry_tier(left),
        "access_token_expires_at": _iso(row.access_expires_at),
        "access_token_expired": row.access_expires_at is not None and row.access_expires_at <= now,
        "updated_at": _iso(row.updated_at),
    }


def schwab_pending_authorization(*, now: datetime) -> dict[str, Any] | None:
    """The latest started login that may still complete (``None`` when there is none)."""
    pending = (
        BrokerAuthRequest.objects.filter(broker=Broker.SCHWAB, expires_at__gt=now)
        .select_related("created_by")
        .order_by("-created_at")
        .first()
    )
    if pending is None:
        return None
    return {
        "started_at": _iso(pending.created_at),
        "expires_at": _iso(pending.expires_at),
        "started_by": pending.created_by.username if pending.created_by else None,
    }


def schwab_auth_status(*, now: datetime) -> dict[str, Any]:
    """The login: configured, authenticated (a token whose refresh token is still valid), a pending login."""
    token = schwab_token_status(now=now)
    return {
        "broker": Broker.SCHWAB,
        "configured": schwab_configured(),
        "authenticated": token is not None and not token["refresh_token_expired"],
        "callback_url": schwab_callback_url(),
        "refresh_token_expires_at": token["refresh_token_expires_at"] if token else None,
        "refresh_token_seconds_left": token["refresh_token_seconds_left"] if token else None,
        "pending_authorization": schwab_pending_authorization(now=now),
    }


def schwab_status(*, now: datetime) -> dict[str, Any]:
    """The whole connection: configuration, the token's age and time left, the account selection."""
    row = broker_token_get()
    token = schwab_token_status(now=now, row=row)
    configured_hash = schwab_account_hash_setting()
    configured = schwab_configured()
    return {
        "broker": Broker.SCHWAB,
        "configured": configured,
        "callback_url": schwab_callback_url(),
        "token_present": token is not None,
        "connected": configured and token is not None and not token["refresh_token_expired"],
        "token": token,
        "account_hash_known": bool(configured_hash or (row and row.account_hash)),
        "account_selection": "SCHWAB_ACCOUNT_HASH" if configured_hash else "first account of the login",
        "pending_authorization": schwab_pending_authorization(now=now),
    }


def schwab_overview(*, now: datetime) -> dict[str, Any] | None:
    """The Schwab login line of the overview page (one query); ``None`` when Schwab is neither configured nor
    logged in (a paper-only installation shows nothing)."""
    row = broker_token_get()
    configured = schwab_configured()
    if row is None and not configured:
        return None
    if row is None:
        return {"state": "absent", "tier": None, "expires_at": None, "left": ""}
    token = schwab_token_status(now=now, row=row)
    seconds = token["refresh_token_seconds_left"]
    days, rest = divmod(seconds, 86400)
    left = f"{days} d {rest // 3600} h" if days else f"{rest // 3600} h {rest % 3600 // 60} min"
    return {
        "state": "expired" if token["refresh_token_expired"] else "connected",
        "tier": token["expiry_tier"],
        "expires_at": row.refresh_expires_at,
        "left": left,
    }
