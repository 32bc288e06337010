"""JWT pairs for API clients (simplejwt): issue, rotate on refresh, blacklist on logout.

Access tokens last 15 minutes, refresh tokens 7 days (``SIMPLE_JWT``); claims ``sub`` (user id),
``type`` (access/refresh), ``exp``, ``iat``, ``jti``. A refresh token is single use: refreshing
blacklists it, and presenting it again is treated as possible token theft (SUSPICIOUS_ACTIVITY).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import token_invalid_record, token_read, token_signed_payload
from accounts.errors import TokenInvalid
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

# When the user signed in (epoch seconds), carried by every token of the sign-in, refreshes included.
AUTH_TIME_CLAIM = "auth_time"
INVALID_REFRESH = "Invalid or expired refresh token: sign in again"


def _pair(refresh: RefreshToken) -> dict[str, Any]:
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        "refresh_expires_in": int(api_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
    }


def token_pair_issue(*, user, request=None) -> dict[str, Any]:
    """A new access/refresh pair for ``user`` (call only once every factor has passed)."""
    refresh = RefreshToken.for_user(user)
    refresh[AUTH_TIME_CLAIM] = int(timezone.now().timestamp())
    security_event_record(
        SecurityEventType.TOKEN_CREATED, user=user, request=request, details={"token_id": refresh["jti"]}
    )
    return _pair(refresh)


def _revoked_reuse_record(raw: str, *, request, action: str) -> None:
    """A correctly signed, unexpired refresh token that was blacklisted: possible token theft."""
    payload = token_signed_payload(raw)
    if payload is None or payload.get(api_settings.TOKEN_TYPE_CLAIM) != RefreshToken.token_type:
        return
    jti = payload.get(api_settings.JTI_CLAIM)
    if not (isinstance(jti, str) and BlacklistedToken.objects.filter(token__jti=jti).exists()):
        return
    user = get_user_model().objects.filter(pk=payload.get(api_settings.USER_ID_CLAIM)).first()
    security_event_record(
        SecurityEventType.SUSPICIOUS_ACTIVITY,
        user=user,
        request=request,
        details={"reason": "revoked_refresh_token_reused", "action": action, "token_id": jti},
    )


def _refresh_token_load(raw: str, *, request, action: str) -> RefreshToken:
    """The presented refresh token, or ``TokenInvalid`` (401) and a TOKEN_INVALID event."""
    refresh = token_read(raw, RefreshToken)
    if refresh is not None:
        return refresh
    _revoked_reuse_record(raw, request=request, action=action)
    if request is not None:
        token_invalid_record(request, reason=f"refresh_{action}")
    raise TokenInvalid(INVALID_REFRESH)


def token_pair_refresh(*, refresh_token: str, request=None) -> dict[str, Any]:
    """Rotate: blacklist the presented refresh token and return a new pair."""
    refresh = _refresh_token_load(refresh_token, request=request, action="refresh")
    jti = refresh[api_settings.JTI_CLAIM]
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=jti).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise TokenInvalid(INVALID_REFRESH)  # unknown to us, or rotated by a concurrent request
        user = get_user_model().objects.filter(pk=refresh[api_settings.USER_ID_CLAIM], is_active=True).first()
        if user is None:
            raise TokenInvalid(INVALID_REFRESH)
        BlacklistedToken.objects.create(token=outstanding)
        new_refresh = RefreshToken.for_user(user)
        if AUTH_TIME_CLAIM in refresh:  # a refresh is not a sign-in: the pair keeps the original instant
            new_refresh[AUTH_TIME_CLAIM] = refresh[AUTH_TIME_CLAIM]
    security_event_record(
        SecurityEventType.TOKEN_REFRESHED,
        user=user,
        request=request,
        details={"token_id": new_refresh["jti"], "previous_token_id": jti},
    )
    return _pair(new_refresh)


def token_revoke(*, refresh_token: str, request=None):
    """Logout: blacklist the refresh token; returns its user."""
    refresh = _refresh_token_load(refresh_token, request=request, action="logout")
    user = get_user_model().objects.filter(pk=refresh[api_settings.USER_ID_CLAIM]).first()
    refresh.blacklist()
    security_event_record(
        SecurityEventType.LOGOUT, user=user, request=request, details={"channel": "api", "token_id": refresh["jti"]}
    )
    return user


def user_tokens_revoke_all(*, user) -> int:
    """Blacklist every unexpired refresh token of ``user`` (password change, role change, removal)."""
    outstanding = OutstandingToken.objects.filter(
        user_id=user.pk, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    count = 0
    for token in outstanding:
        BlacklistedToken.objects.get_or_create(token=token)
        count += 1
    return count
