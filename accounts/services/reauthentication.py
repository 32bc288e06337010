"""Changing how an account signs in needs its owner present, not just a session or a token.

Adding a second factor (confirming TOTP, registering a passkey) or removing a passkey is allowed when the
request carries the current password, or when a second factor was verified in the last five minutes (at
sign-in, or again through ``POST /api/2fa/validate``). A stolen session cookie or access token alone can
therefore neither enrol the thief's own authenticator nor remove the owner's. The password is checked
like every current-password confirmation (``current_password_confirm``): failures count toward the
lockout, callers are rate limited on the current-password budgets.
"""

from __future__ import annotations

from datetime import timedelta

from accounts.selectors import second_factor_verified_within
from accounts.services.login import current_password_confirm
from jutsu.errors import PermissionDeniedError

FACTOR_CHANGE = "factor_change"
RECENT_SECOND_FACTOR = timedelta(minutes=5)
BY_PASSWORD, BY_RECENT_SECOND_FACTOR = "password", "recent_second_factor"


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
    if second_factor_verified_within(user, RECENT_SECOND_FACTOR):
        return BY_RECENT_SECOND_FACTOR
    minutes = int(RECENT_SECOND_FACTOR.total_seconds() // 60)
    raise ReauthenticationRequired(
        f"current_password: confirm your current password to change how you sign in "
        f"(or verify a second factor first: it counts for {minutes} minutes)"
    )
