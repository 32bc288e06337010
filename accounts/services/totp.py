"""TOTP (RFC 6238) through allauth's implementation; the secret is Fernet-encrypted at rest.

Set-up issues a secret (kept encrypted in a 10-minute ``AuthChallenge`` until confirmed) with its
``otpauth://`` URI and QR code; verifying a current code stores the allauth ``Authenticator``
(secret encrypted by ``MFAAdapter``) and issues ten backup codes. A code is accepted once: a used
code is remembered for its whole validity window.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, validate_totp_code
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts import selectors
from accounts.errors import InvalidCode
from accounts.models import AuthChallenge, ChallengePurpose
from accounts.services.backup_codes import backup_codes_delete_if_unused, backup_codes_generate
from accounts.services.login import BACKUP_CODES, CONFIRM, current_password_confirm, second_factor_verify
from jutsu.errors import ConflictError, InvalidParameter
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

SETUP_MINUTES = 10


@dataclass(frozen=True)
class TotpSetup:
    """What the user needs to add the account to an authenticator app."""

    secret: str
    otpauth_uri: str
    qr_svg: str
    expires_at: datetime

    @property
    def qr_data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.qr_svg.encode()).decode()


def totp_setup_begin(*, user) -> TotpSetup:
    """Start (or restart) TOTP set-up; nothing is enabled until ``totp_enable`` gets a valid code."""
    if selectors.totp_authenticator(user) is not None:
        raise ConflictError("Two-factor authentication is already enabled; disable it first to set it up again")
    adapter = mfa_adapter()
    secret = generate_totp_secret()
    now = timezone.now()
    expires_at = now + timedelta(minutes=SETUP_MINUTES)
    with transaction.atomic():
        AuthChallenge.objects.filter(user_id=user.pk, purpose=ChallengePurpose.TOTP_SETUP).delete()
        AuthChallenge.objects.create(
            purpose=ChallengePurpose.TOTP_SETUP,
            user=user,
            state={"secret": adapter.encrypt(secret)},
            created_at=now,
            expires_at=expires_at,
        )
    return _setup(user, secret, expires_at)


def totp_setup_pending(*, user) -> TotpSetup | None:
    """The set-up in progress (its secret and QR code), or None when there is none or it expired — so a
    refused confirmation can show the same key again instead of one the user has not scanned."""
    challenge = _pending_challenge(user, timezone.now())
    if challenge is None:
        return None
    return _setup(user, mfa_adapter().decrypt(challenge.state["secret"]), challenge.expires_at)


def _setup(user, secret: str, expires_at) -> TotpSetup:
    adapter = mfa_adapter()
    uri = adapter.build_totp_url(user, secret)
    return TotpSetup(secret=secret, otpauth_uri=uri, qr_svg=adapter.build_totp_svg(uri), expires_at=expires_at)


def _pending_challenge(user, now) -> AuthChallenge | None:
    return (
        AuthChallenge.objects.filter(
            user_id=user.pk, purpose=ChallengePurpose.TOTP_SETUP, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )


def _code_window_seconds() -> int:
    return mfa_settings.TOTP_PERIOD * (2 * mfa_settings.TOTP_TOLERANCE + 1)


def _code_claim(user_id: int, code: str) -> bool:
    """Remember an accepted code for its validity window; False if it was already used (replay)."""
    return cache.add(f"accounts:totp-used:{user_id}:{code}", 1, timeout=_code_window_seconds())


def totp_code_check(*, user, code: str) -> bool:
    """True for a current, not yet used TOTP code of ``user`` (no audit; callers record the event)."""
    authenticator = selectors.totp_authenticator(user)
    if authenticator is None or not code.isdigit():
        return False
    secret = mfa_adapter().decrypt(authenticator.data["secret"])
    if not validate_totp_code(secret, code):
        return False
    if not _code_claim(user.pk, code):
        return False
    authenticator.record_usage()
    return True


def totp_enable(*, user, code: str, request=None) -> list[str]:
    """Confirm set-up with a current code; returns the ten new backup codes."""
    now = timezone.now()
    challenge = _pending_challenge(user, now)
    if challenge is None:
        raise InvalidParameter(f"No TOTP set-up in progress (it lasts {SETUP_MINUTES} minutes): start the set-up again")
    adapter = mfa_adapter()
    secret = adapter.decrypt(challenge.state["secret"])
    code = (code or "").strip()
    if not (code.isdigit() and validate_totp_code(secret, code)):
        security_event_record(
            SecurityEventType.TWO_FA_FAILURE,
            user=user,
            request=request,
            details={"purpose": "enable", "method": "totp"},
        )
        raise InvalidCode("Invalid code: enter the current 6-digit code from your authenticator app")
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if selectors.totp_authenticator(user) is not None:
            raise ConflictError("Two-factor authentication is already enabled")
        TOTP.activate(user, secret)
        AuthChallenge.objects.filter(pk=challenge.pk).delete()
        codes = backup_codes_generate(user=user)
        security_event_record(SecurityEventType.TWO_FA_ENABLED, user=user, request=request, details={"method": "totp"})
    _code_claim(user.pk, code)
    return codes


def totp_disable(*, user, code: str, request=None) -> None:
    """Turn TOTP off; needs a current TOTP code or an unused backup code."""
    if selectors.totp_authenticator(user) is None:
        raise ConflictError("Two-factor authentication is not enabled")
    method = second_factor_verify(user=user, code=code, request=request, purpose=CONFIRM)
    with transaction.atomic():
        Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).delete()
        backup_codes_delete_if_unused(user=user)
        security_event_record(
            SecurityEventType.TWO_FA_DISABLED,
            user=user,
            request=request,
            details={"method": "totp", "confirmed_by": method},
        )


def backup_codes_regenerate(*, user, code: str = "", password: str = "", request=None) -> list[str]:
    """New backup codes (the old ones stop working). Confirmed by a code, or the password when
    the user has passkeys but no TOTP."""
    status = selectors.mfa_status(user)
    if not status["enabled"]:
        raise ConflictError("Enable two-factor authentication first")
    if status["totp_enabled"] or code:
        second_factor_verify(user=user, code=code, request=request, purpose=CONFIRM)
    else:
        try:
            current_password_confirm(user=user, password=password, request=request, purpose=BACKUP_CODES)
        except InvalidParameter:
            raise InvalidParameter("password: incorrect") from None
    return backup_codes_generate(user=user)
