"""Changing how an account signs in needs its owner present, not just a session or a token.

Adding a second factor (confirming TOTP, registering a passkey) or removing a passkey is allowed when the
request carries the current password, when the session or token comes from a sign-in of the last five
minutes, or when a second factor was verified in the last five minutes (at sign-in, or again through
``POST /api/2fa/validate``). A session cookie or token stolen later — or kept alive by refreshing, which
keeps the sign-in instant (``auth_time``) — can neither enrol the thief's authenticator nor remove the
owner's. The password is checked
like every current-password confirmation (``current_password_confirm``): failures count toward the
lockout, callers are rate limited on the current-password budgets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from allauth.account.authentication import get_authentication_records
from django.utils import timezone

from accounts.selectors import second_factor_verified_within
from accounts.services.login import current_password_confirm
from accounts.services.tokens import AUTH_TIME_CLAIM
from jutsu.errors import PermissionDeniedError

FACTOR_CHANGE = "factor_change"
RECENT = timedelta(minutes=5)
BY_PASSWORD, BY_RECENT_SIGN_IN, BY_RECENT_SECOND_FACTOR = "password", "recent_sign_in", "recent_second_factor"


class ReauthenticationRequired(PermissionDeniedError):
    """Neither the current password nor a recent second factor came with a sign-in factor change."""

    code = "reauthentication_required"


def factor_change_authorize(*, user, password: str | None, request=None, channel: str = "api") -> str:
    """Allow a change of ``user``'s sign-in factors; returns how the owner proved presence.

    Raises ``InvalidParameter`` for a wrong password (``AccountLocked`` once the lockout is reached) and
    ``ReauthenticationRequired`` when neither proof came with the request.
    """
    if password:
        current_password_confirm(user=user, password=password, request=request, channel=channel, purpose=FACTOR_CHANGE)
        return BY_PASSWORD
    signed_in = signed_in_at(request, user) if request is not None else None
    if signed_in is not None and signed_in >= timezone.now() - RECENT:
        return BY_RECENT_SIGN_IN
    if second_factor_verified_within(user, RECENT):
        return BY_RECENT_SECOND_FACTOR
    minutes = int(RECENT.total_seconds() // 60)
    raise ReauthenticationRequired(
        f"current_password: confirm your current password to change how you sign in "
        f"(a sign-in or a second factor of the last {minutes} minutes also counts)"
    )


def signed_in_at(request, user) -> datetime | None:
    """When the caller signed in: the ``auth_time`` of an API token, else the last authentication that
    allauth recorded in the session; None when unknown."""
    token = getattr(request, "auth", None)
    if token is not None and hasattr(token, "get"):
        claim = token.get(AUTH_TIME_CLAIM)
        return datetime.fromtimestamp(claim, tz=UTC) if isinstance(claim, int | float) else None
    session = getattr(request, "session", None)
    if session is None:
        return None
    moments = [record.get("at") for record in get_authentication_records(request, user)]
    moments = [moment for moment in moments if isinstance(moment, int | float)]
    return datetime.fromtimestamp(max(moments), tz=UTC) if moments else None
