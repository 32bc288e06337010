"""Passkeys (WebAuthn/FIDO2) with python-fido2, stored as allauth ``Authenticator`` rows.

Each ceremony starts with a challenge kept in an ``AuthChallenge`` for five minutes and consumed
once. Registration verifies the attestation response (format ``none`` accepted: we do not restrict
authenticator models); authentication verifies the assertion signature against the stored public
key, the RP ID hash and the origin (``WEBAUTHN_RP_ID``, ``WEBAUTHN_ORIGIN``), and the signature
counter: a counter that does not increase (when either side is non-zero) is refused as a possible
cloned authenticator (WebAuthn §6.1.1) and reported as SUSPICIOUS_ACTIVITY.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    RegistrationResponse,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts import selectors
from accounts.errors import AccountLocked, SecondFactorFailed
from accounts.models import AuthChallenge, ChallengePurpose
from accounts.services.backup_codes import backup_codes_delete_if_unused, backup_codes_generate_if_none
from accounts.services.second_factors import second_factor_verified_record
from jutsu.errors import ConflictError, InvalidParameter, NotFound
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

CHALLENGE_MINUTES = 5
NAME_MAX_LENGTH = 100
_PARSE_ERRORS = (TypeError, ValueError, KeyError, AttributeError)


def allowed_origins() -> list[str]:
    return [o.strip().rstrip("/") for o in str(settings.WEBAUTHN_ORIGIN).split(",") if o.strip()]


def _server() -> Fido2Server:
    origins = set(allowed_origins())
    rp = PublicKeyCredentialRpEntity(id=settings.WEBAUTHN_RP_ID, name=settings.WEBAUTHN_RP_NAME)
    server = Fido2Server(rp, verify_origin=lambda origin: origin in origins)
    server.timeout = CHALLENGE_MINUTES * 60 * 1000  # milliseconds, shown to the browser
    return server


def _credential_data(authenticator: Authenticator) -> AttestedCredentialData:
    return AttestedCredentialData(websafe_decode(authenticator.data["credential_data"]))


def _challenge_create(*, purpose: str, user, state: dict[str, Any]) -> AuthChallenge:
    now = timezone.now()
    AuthChallenge.objects.filter(expires_at__lte=now - timedelta(hours=1)).delete()  # keep the table small
    return AuthChallenge.objects.create(
        purpose=purpose,
        user=user,
        state=state,
        created_at=now,
        expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
    )


def _challenge_consume(*, challenge_id, purpose: str, user=None) -> AuthChallenge | None:
    """Mark the challenge used (exactly once) and return it; None when unknown, used or expired."""
    try:
        pk = uuid.UUID(str(challenge_id))
    except ValueError:
        return None
    now = timezone.now()
    rows = AuthChallenge.objects.filter(pk=pk, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
    if user is not None:
        rows = rows.filter(user_id=user.pk)
    if rows.update(used_at=now) != 1:
        return None
    return AuthChallenge.objects.select_related("user").get(pk=pk)


def _options(challenge: AuthChallenge, options) -> dict[str, Any]:
    return {"challenge_id": str(challenge.pk), "expires_at": challenge.expires_at.isoformat(), **dict(options)}


def passkey_registration_begin(*, user) -> dict[str, Any]:
    """WebAuthn creation options (``publicKey``) plus the ``challenge_id`` to send back."""
    existing = [_credential_data(a) for a in selectors.passkey_authenticators(user)]
    user_entity = PublicKeyCredentialUserEntity(
        id=str(user.pk).encode(), name=user.get_username(), display_name=user.get_username()
    )
    options, state = _server().register_begin(
        user=user_entity,
        credentials=existing,
        resident_key_requirement=ResidentKeyRequirement.PREFERRED,
        user_verification=UserVerificationRequirement.PREFERRED,
        extensions={"credProps": True},
    )
    challenge = _challenge_create(purpose=ChallengePurpose.PASSKEY_REGISTER, user=user, state=_state_json(state))
    return _options(challenge, options)


def _state_json(state: dict[str, Any]) -> dict[str, Any]:
    return {"challenge": state["challenge"], "user_verification": str(state["user_verification"] or "") or None}


def _default_name(user) -> str:
    count = selectors.passkey_authenticators(user).count()
    return f"Passkey {count + 1}"


@dataclass(frozen=True)
class PasskeyRegistered:
    """A stored passkey, and the backup codes issued with it (shown once; empty unless it was the
    user's first second factor)."""

    authenticator: Authenticator
    backup_codes: list[str]


def passkey_register(*, user, challenge_id, credential: dict, name: str = "", request=None) -> PasskeyRegistered:
    """Verify the browser's registration response and store the passkey.

    A passkey turns two-factor sign-in on; when the user has no backup codes yet they are issued
    now, so losing the only passkey does not lock the account for good."""
    name = (name or "").strip()[:NAME_MAX_LENGTH] or _default_name(user)
    challenge = _challenge_consume(challenge_id=challenge_id, purpose=ChallengePurpose.PASSKEY_REGISTER, user=user)
    if challenge is None:
        raise InvalidParameter(
            f"challenge_id: unknown, already used or expired (challenges last {CHALLENGE_MINUTES} minutes)"
        )
    try:
        RegistrationResponse.from_dict(credential)
        auth_data = _server().register_complete(challenge.state, credential)
    except _PARSE_ERRORS as exc:
        raise InvalidParameter(f"credential: the passkey could not be verified ({exc})") from None
    credential_data = auth_data.credential_data
    credential_id = websafe_encode(credential_data.credential_id)
    if Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN, data__credential_id=credential_id).exists():
        raise ConflictError("This passkey is already registered")
    with transaction.atomic():
        authenticator = Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.WEBAUTHN,
            data={
                "name": name,
                "credential": credential,  # the registration response, as allauth stores it
                "credential_id": credential_id,
                "credential_data": websafe_encode(bytes(credential_data)),
                "sign_count": auth_data.counter,
                "user_verified": auth_data.is_user_verified(),
            },
        )
        codes = backup_codes_generate_if_none(user=user)
        security_event_record(
            SecurityEventType.PASSKEY_REGISTERED,
            user=user,
            request=request,
            details={"passkey_id": authenticator.pk, "name": name, "backup_codes_count": len(codes)},
        )
    return PasskeyRegistered(authenticator=authenticator, backup_codes=codes)


def passkey_authentication_begin(*, user=None, password_verified: bool = False) -> dict[str, Any]:
    """WebAuthn request options. With a user whose password was just verified the passkey is the
    second factor; without one it is a passwordless sign-in and must verify the user (PIN/biometric)."""
    credentials = [_credential_data(a) for a in selectors.passkey_authenticators(user)] if user is not None else []
    verification = UserVerificationRequirement.PREFERRED if password_verified else UserVerificationRequirement.REQUIRED
    options, state = _server().authenticate_begin(credentials=credentials, user_verification=verification)
    challenge_state = _state_json(state)
    challenge_state["password_verified"] = bool(password_verified and user is not None)
    challenge = _challenge_create(purpose=ChallengePurpose.PASSKEY_AUTHENTICATE, user=user, state=challenge_state)
    return _options(challenge, options)


def _fail(reason: str, *, request, user=None, details: dict[str, Any] | None = None) -> SecondFactorFailed:
    security_event_record(
        SecurityEventType.PASSKEY_AUTH_FAILED, user=user, request=request, details={"reason": reason, **(details or {})}
    )
    return SecondFactorFailed("Passkey sign-in failed")


def _user_from_handle(response: AuthenticationResponse):
    handle = response.response.user_handle
    if not handle:
        return None
    try:
        user_id = int(handle.decode())
    except (UnicodeDecodeError, ValueError):
        return None
    return get_user_model().objects.filter(pk=user_id).first()


def passkey_authenticate(*, challenge_id, credential: dict, request=None, expected_user=None):
    """Verify an assertion; returns ``(user, authenticator, password_verified)``.

    Raises ``SecondFactorFailed`` (401) for an unknown/expired challenge, a bad signature, a wrong
    origin or RP, an unknown credential or a replayed signature counter, ``AccountLocked`` for a
    locked account.
    """
    challenge = _challenge_consume(
        challenge_id=challenge_id, purpose=ChallengePurpose.PASSKEY_AUTHENTICATE, user=expected_user
    )
    if challenge is None:
        raise _fail("challenge_unknown_used_or_expired", request=request, user=expected_user)
    try:
        response = AuthenticationResponse.from_dict(credential)
    except _PARSE_ERRORS:
        raise _fail("malformed_response", request=request, user=challenge.user) from None
    user = challenge.user or _user_from_handle(response)
    if user is None:
        raise _fail("unknown_user", request=request)
    credential_id = websafe_encode(response.raw_id)
    authenticator = selectors.passkey_authenticators(user).filter(data__credential_id=credential_id).first()
    if authenticator is None:
        raise _fail("unknown_credential", request=request, user=user)
    try:
        _server().authenticate_complete(challenge.state, [_credential_data(authenticator)], credential)
    except _PARSE_ERRORS as exc:
        raise _fail("verification_failed", request=request, user=user, details={"error": str(exc)[:200]}) from None
    if not user.is_active:
        raise _fail("inactive_user", request=request, user=user)
    if user.is_locked():
        raise AccountLocked("Account locked after too many failed sign-ins; try again later")
    received = response.response.authenticator_data.counter
    with transaction.atomic():
        locked = Authenticator.objects.select_for_update().get(pk=authenticator.pk)
        stored = int(locked.data.get("sign_count", 0))
        if (received or stored) and received <= stored:
            security_event_record(
                SecurityEventType.SUSPICIOUS_ACTIVITY,
                user=user,
                request=request,
                details={
                    "reason": "passkey_sign_count_replay",
                    "passkey_id": locked.pk,
                    "stored": stored,
                    "received": received,
                },
            )
            failure = _fail("sign_count_not_increasing", request=request, user=user, details={"passkey_id": locked.pk})
        else:
            failure = None
            locked.data["sign_count"] = received
            locked.last_used_at = timezone.now()
            locked.save(update_fields=["data", "last_used_at"])
    if failure is not None:
        raise failure
    security_event_record(
        SecurityEventType.PASSKEY_AUTHENTICATED,
        user=user,
        request=request,
        details={"passkey_id": authenticator.pk, "password_verified": bool(challenge.state.get("password_verified"))},
    )
    second_factor_verified_record(user=user)
    return user, locked, bool(challenge.state.get("password_verified"))


def passkey_revoke(*, user, passkey_id: int, request=None) -> None:
    """Delete one of ``user``'s passkeys (it can no longer sign in)."""
    with transaction.atomic():
        authenticator = selectors.passkey_authenticators(user).select_for_update().filter(pk=passkey_id).first()
        if authenticator is None:
            raise NotFound(f"passkey {passkey_id} does not exist")
        name = authenticator.data.get("name", "")
        authenticator.delete()
        backup_codes_delete_if_unused(user=user)
        security_event_record(
            SecurityEventType.PASSKEY_REVOKED,
            user=user,
            request=request,
            details={"passkey_id": passkey_id, "name": name},
        )
