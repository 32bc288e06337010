"""The guard in front of real money from the API and the pages.

Trading ``online_live`` — starting, restarting or switching the engine into it, or placing a manual
``online_live`` trade — needs, from a person:

1. the admin role;
2. the typed confirmation ``YES``;
3. a second factor (TOTP, passkey or backup code) **verified within the last five minutes** — at sign-in, or
   again through ``POST /api/2fa/validate`` (``accounts.services.second_factor_recent``). A user without a
   second factor cannot switch to live at all.

The engine services then write the HIGH ``MODE_CHANGED`` security event. ``manage.py engine`` runs on the
server itself and asks only for ``--confirm YES``. Refusals are audited as ``ACCESS_DENIED``.
"""

from __future__ import annotations

from datetime import timedelta

from accounts.selectors import mfa_enrolled, second_factor_verified_within
from jutsu.errors import InvalidParameter, PermissionDeniedError
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

CONFIRMATION = "YES"
#: How recent the second-factor verification must be.
FRESH_SECOND_FACTOR = timedelta(minutes=5)


def _refuse(message: str, *, user, request, action: str, reason: str) -> PermissionDeniedError:
    security_event_record(
        SecurityEventType.ACCESS_DENIED,
        user=user,
        request=request,
        details={"action": action, "reason": reason},
    )
    return PermissionDeniedError(message)


def live_switch_check(*, user, confirm: str | None, request=None, action: str = "switching to online_live") -> None:
    """Raise unless ``user`` may act in ``online_live`` now (see the module docstring); ``action`` names it in
    the messages (``switching to online_live``, ``a manual online_live trade``)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_admin", False):
        raise _refuse(f"{action}: admins only", user=user, request=request, action=action, reason="not_admin")
    if confirm != CONFIRMATION:
        raise InvalidParameter(f"confirm: {action} trades real money; type YES to confirm")
    if not mfa_enrolled(user):
        raise _refuse(
            f"{action} needs a second factor: set up TOTP or a passkey on your account first",
            user=user,
            request=request,
            action=action,
            reason="no_second_factor",
        )
    if not second_factor_verified_within(user, FRESH_SECOND_FACTOR):
        minutes = int(FRESH_SECOND_FACTOR.total_seconds() // 60)
        raise _refuse(
            f"{action} needs your second factor verified within the last {minutes} minutes: "
            "verify a code again (POST /api/2fa/validate) and retry",
            user=user,
            request=request,
            action=action,
            reason="second_factor_not_recent",
        )
