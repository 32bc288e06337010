"""Sign-in rules shared by the pages and the API: lockout, the second factor, and their audit trail.

A login is: password (``user_password_verify``, which counts failures and locks) → a second factor
when one is enrolled (``second_factor_verify``) → ``login_succeeded`` (reset the failure count,
``last_login``, LOGIN_SUCCESS). Pages get there through allauth (our backend and adapter call these
functions); the API through ``login_with_password`` / ``login_with_second_factor`` /
``login_with_passkey``, which end in a JWT pair.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts import selectors
from accounts.errors import AccountLocked, AuthenticationFailed, InvalidCode, SecondFactorFailed
from accounts.services.second_factors import second_factor_verified_record
from jutsu.conf.resolver import resolve_value
from jutsu.errors import InvalidParameter, JutsuError
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

INVALID_CREDENTIALS = "Invalid username or password"
LOGIN = "login"
CONFIRM = "confirm"
PASSWORD_CHANGE = "password_change"
BACKUP_CODES = "backup_codes"
# How long failures of an unknown username are remembered (a real account remembers them until a
# successful sign-in; the cache needs a bound).
UNKNOWN_USER_MEMORY_SECONDS = 24 * 3600


def lockout_threshold() -> int:
    return int(resolve_value("security.lockout_threshold"))


def lockout_minutes() -> int:
    return int(resolve_value("security.lockout_minutes"))


def _locked_message(until: datetime) -> str:
    return f"Account locked after too many failed sign-ins; try again after {until:%Y-%m-%d %H:%M} UTC"


def _failure_register(
    user,
    *,
    request,
    reason: str,
    channel: str,
    now: datetime,
    event_type: str = SecurityEventType.LOGIN_FAILURE,
    purpose: str = LOGIN,
) -> AuthenticationFailed:
    """Count one failure on a locked (``select_for_update``) user row; lock at the threshold."""
    user.failed_login_count += 1
    threshold = lockout_threshold()
    details = {"reason": reason, "channel": channel, "failed_login_count": user.failed_login_count}
    if purpose != LOGIN:
        details["purpose"] = purpose
    security_event_record(event_type, user=user, request=request, details=details)
    if user.failed_login_count >= threshold:
        minutes = lockout_minutes()
        user.locked_until = now + timedelta(minutes=minutes)
        user.save(update_fields=["failed_login_count", "locked_until"])
        security_event_record(
            SecurityEventType.ACCOUNT_LOCKED,
            user=user,
            request=request,
            details={
                "failed_login_count": user.failed_login_count,
                "locked_until": user.locked_until.isoformat(),
                "lockout_minutes": minutes,
            },
        )
        return AccountLocked(_locked_message(user.locked_until))
    user.save(update_fields=["failed_login_count"])
    return AuthenticationFailed(INVALID_CREDENTIALS)


def _unknown_user_keys(username: str) -> tuple[str, str]:
    digest = hashlib.sha256(str(username).encode("utf-8", "surrogatepass")).hexdigest()
    return f"accounts:unknown-user:{digest}:failures", f"accounts:unknown-user:{digest}:locked-until"


def _unknown_user_failure(username: str, *, request, channel: str, now: datetime) -> AuthenticationFailed:
    """Answer an unknown username exactly like a real one: its failures are counted (in the cache,
    never the database) and lock it after the same threshold for the same time, so the lockout
    message does not tell which accounts exist."""
    failures_key, locked_key = _unknown_user_keys(username)
    locked_until = cache.get(locked_key)
    details: dict[str, Any] = {"reason": "unknown_user", "channel": channel}
    if locked_until is not None and locked_until > now:
        outcome: AuthenticationFailed = AccountLocked(_locked_message(locked_until))
        details["locked_until"] = locked_until.isoformat()
    else:
        cache.add(failures_key, 0, timeout=UNKNOWN_USER_MEMORY_SECONDS)
        try:
            count = cache.incr(failures_key)
        except ValueError:  # evicted between add and incr
            count = 1
            cache.set(failures_key, count, timeout=UNKNOWN_USER_MEMORY_SECONDS)
        details["failed_login_count"] = count
        outcome = AuthenticationFailed(INVALID_CREDENTIALS)
        if count >= lockout_threshold():
            minutes = lockout_minutes()
            locked_until = now + timedelta(minutes=minutes)
            cache.set(locked_key, locked_until, timeout=minutes * 60)
            cache.delete(failures_key)  # like a real account: counting starts afresh after the lock
            details["locked_until"] = locked_until.isoformat()
            outcome = AccountLocked(_locked_message(locked_until))
    security_event_record(
        SecurityEventType.LOGIN_FAILURE, username=str(username)[:150], request=request, details=details
    )
    return outcome


def _lock_expiry_apply(user, now: datetime) -> None:
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_login_count, user.locked_until = 0, None  # the lock expired: start afresh
        user.save(update_fields=["failed_login_count", "locked_until"])


def user_password_verify(*, username: str, password: str, request=None, channel: str = "api"):
    """Return the active user whose password this is, or raise ``AuthenticationFailed``/``AccountLocked``.

    Failures are counted (and committed) even though an exception follows; a correct password
    does not reset the count — that happens in ``login_succeeded`` after any second factor.
    Every path costs one password hash, and an unknown username gets the answers a real one would
    (``Invalid username or password``, then the lockout message), so neither the timing nor the
    lockout tells which accounts exist.
    """
    user_model = get_user_model()
    now = timezone.now()
    outcome: AuthenticationFailed | None = None
    with transaction.atomic():
        user = user_model.objects.select_for_update().filter(username=username).first()
        if user is None:
            make_password(password)  # same work as a real check: no user enumeration by timing
            outcome = _unknown_user_failure(username, request=request, channel=channel, now=now)
        else:
            _lock_expiry_apply(user, now)
            if user.is_locked(now):
                make_password(password)  # same work as the other answers
                security_event_record(
                    SecurityEventType.LOGIN_FAILURE,
                    user=user,
                    request=request,
                    details={"reason": "locked", "channel": channel, "locked_until": user.locked_until.isoformat()},
                )
                outcome = AccountLocked(_locked_message(user.locked_until))
            elif not user.check_password(password):
                outcome = _failure_register(user, request=request, reason="bad_password", channel=channel, now=now)
            elif not user.is_active:
                security_event_record(
                    SecurityEventType.LOGIN_FAILURE,
                    user=user,
                    request=request,
                    details={"reason": "inactive", "channel": channel},
                )
                outcome = AuthenticationFailed(INVALID_CREDENTIALS)
    if outcome is not None:
        raise outcome
    return user


def current_password_confirm(*, user, password: str, request=None, channel: str = "api", purpose: str) -> None:
    """A signed-in user proves they know their password (password change, backup codes).

    Guessing it is treated like guessing at sign-in: a wrong password is a LOGIN_FAILURE that counts
    toward the lockout, a locked account is refused even with the right password (``AccountLocked``),
    and the callers are rate limited per IP and per user. A wrong password raises
    ``InvalidParameter("current_password: incorrect")`` (a form error, 400) until the lock.
    """
    now = timezone.now()
    outcome: JutsuError | None = None
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        _lock_expiry_apply(locked, now)
        if locked.is_locked(now):
            make_password(password or "")
            security_event_record(
                SecurityEventType.LOGIN_FAILURE,
                user=locked,
                request=request,
                details={"reason": "locked", "channel": channel, "purpose": purpose},
            )
            outcome = AccountLocked(_locked_message(locked.locked_until))
        elif not locked.check_password(password or ""):
            error = _failure_register(
                locked, request=request, reason="bad_current_password", channel=channel, now=now, purpose=purpose
            )
            outcome = error if isinstance(error, AccountLocked) else InvalidParameter("current_password: incorrect")
    if outcome is not None:
        raise outcome


def login_failure_register(*, user, request=None, reason: str, channel: str, event_type: str) -> AuthenticationFailed:
    """Count a failed second factor like a failed password; returns the error to raise."""
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        return _failure_register(
            locked, request=request, reason=reason, channel=channel, now=timezone.now(), event_type=event_type
        )


def login_succeeded(*, user, request=None, channel: str, method: str = "password") -> None:
    """The end of every successful sign-in: reset the lockout state, set last_login, audit."""
    now = timezone.now()
    get_user_model().objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None, last_login=now)
    user.failed_login_count, user.locked_until, user.last_login = 0, None, now
    security_event_record(
        SecurityEventType.LOGIN_SUCCESS, user=user, request=request, details={"channel": channel, "method": method}
    )


def logout_recorded(*, user, request=None, channel: str) -> None:
    security_event_record(SecurityEventType.LOGOUT, user=user, request=request, details={"channel": channel})


def second_factor_verify(*, user, code: str, request=None, channel: str = "api", purpose: str = LOGIN) -> str:
    """Check a TOTP or backup code; returns the method used (``totp`` / ``backup_code``).

    A wrong code is a 2FA_FAILURE and counts towards the lockout. During a login it raises
    ``SecondFactorFailed`` (401); when a signed-in user confirms an action, ``InvalidCode`` (400).
    """
    from accounts.services.backup_codes import backup_code_use
    from accounts.services.totp import totp_code_check

    code = (code or "").strip()
    method = None
    if code and totp_code_check(user=user, code=code):
        method = selectors.TOTP
    elif code and backup_code_use(user=user, code=code):
        method = selectors.BACKUP_CODE
    if method is None:
        error = login_failure_register(
            user=user, request=request, reason="bad_code", channel=channel, event_type=SecurityEventType.TWO_FA_FAILURE
        )
        if purpose == LOGIN:
            raise error if isinstance(error, AccountLocked) else SecondFactorFailed("Invalid two-factor code")
        raise InvalidCode("Invalid two-factor code")
    details: dict[str, Any] = {"method": method, "channel": channel, "purpose": purpose}
    if method == selectors.BACKUP_CODE:
        details["backup_codes_remaining"] = selectors.backup_codes_remaining(user)
    security_event_record(SecurityEventType.TWO_FA_SUCCESS, user=user, request=request, details=details)
    second_factor_verified_record(user=user)  # recent-second-factor actions (switching to live) read it
    return method


@dataclass
class LoginOutcome:
    """The result of the password step: tokens, or the second factors still required."""

    user: Any
    methods: list[str] = field(default_factory=list)
    tokens: dict[str, Any] | None = None
    passkey: dict[str, Any] | None = None

    @property
    def requires_2fa(self) -> bool:
        return bool(self.methods)


def login_with_password(*, username: str, password: str, request=None) -> LoginOutcome:
    """API step 1. Without a second factor enrolled this is the whole login (tokens issued)."""
    from accounts.services.passkeys import passkey_authentication_begin
    from accounts.services.tokens import token_pair_issue

    user = user_password_verify(username=username, password=password, request=request, channel="api")
    methods = selectors.mfa_methods(user)
    if methods:
        passkey = None
        if selectors.PASSKEY in methods:
            passkey = passkey_authentication_begin(user=user, password_verified=True)
        return LoginOutcome(user=user, methods=methods, passkey=passkey)
    login_succeeded(user=user, request=request, channel="api", method="password")
    return LoginOutcome(user=user, tokens=token_pair_issue(user=user, request=request))


def login_with_second_factor(*, username: str, password: str, code: str, request=None) -> dict[str, Any]:
    """API step 2 (stateless): the password again plus a TOTP or backup code → tokens."""
    from accounts.services.tokens import token_pair_issue

    user = user_password_verify(username=username, password=password, request=request, channel="api")
    if not selectors.mfa_methods(user):
        raise InvalidParameter("Two-factor authentication is not enabled for this account: use /api/auth/login")
    method = second_factor_verify(user=user, code=code, request=request, channel="api", purpose=LOGIN)
    login_succeeded(user=user, request=request, channel="api", method=f"password+{method}")
    return token_pair_issue(user=user, request=request)


def login_with_passkey(*, challenge_id: str, credential: dict, request=None) -> dict[str, Any]:
    """API passkey sign-in (after the password step, or passwordless with user verification)."""
    from accounts.services.passkeys import passkey_authenticate
    from accounts.services.tokens import token_pair_issue

    user, _authenticator, password_verified = passkey_authenticate(
        challenge_id=challenge_id, credential=credential, request=request
    )
    login_succeeded(
        user=user, request=request, channel="api", method="password+passkey" if password_verified else "passkey"
    )
    return token_pair_issue(user=user, request=request)
