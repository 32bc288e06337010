"""Errors of the accounts domain; the shared DRF handler turns them into ``{"detail", "code"}``."""

from __future__ import annotations

from jutsu.errors import ConflictError, InvalidParameter, JutsuError


class AuthenticationFailed(JutsuError):
    """Wrong credentials, an unknown user or a refused account: always the same 401 message."""

    code = "authentication_failed"
    status_code = 401


class AccountLocked(AuthenticationFailed):
    """Too many consecutive failures: the account is locked until ``locked_until``."""

    code = "account_locked"


class SecondFactorFailed(AuthenticationFailed):
    """A wrong, used or expired TOTP/backup code or passkey assertion during login."""

    code = "second_factor_failed"


class TokenInvalid(AuthenticationFailed):
    """A refresh token that is malformed, expired, blacklisted or for an inactive user."""

    code = "token_invalid"


class InvalidCode(InvalidParameter):
    """A wrong code for an already signed-in user (set-up, disable, validate)."""

    code = "invalid_code"


class RateLimited(JutsuError):
    """Too many attempts from one client IP."""

    code = "rate_limited"
    status_code = 429

    def __init__(self, message: str = "Rate limit exceeded", *, retry_after_seconds: int = 60) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class InvitationGone(JutsuError):
    """The invitation expired or was revoked."""

    code = "invitation_gone"
    status_code = 410


class InvitationUsed(ConflictError):
    """The invitation was already accepted (single use)."""

    code = "invitation_used"


class UserLimitReached(ConflictError):
    """The instance already has the maximum number of active users."""

    code = "user_limit_reached"
