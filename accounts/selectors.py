"""Reads of the accounts domain: users, invitations, second-factor state, passkeys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import BackupCode, Invitation
from jutsu.errors import NotFound

TOTP = "totp"
BACKUP_CODE = "backup_code"
PASSKEY = "passkey"


def user_list() -> QuerySet:
    return get_user_model().objects.order_by("username")


def user_get(*, user_id: int):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def active_user_count() -> int:
    return get_user_model().objects.filter(is_active=True).count()


def invitation_list() -> QuerySet:
    return Invitation.objects.select_related("created_by", "accepted_by", "revoked_by")


def totp_authenticator(user) -> Authenticator | None:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()


def passkey_authenticators(user) -> QuerySet:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.WEBAUTHN).order_by("created_at")


def mfa_enrolled(user) -> bool:
    """Whether ``user`` has a second factor (a TOTP app or a passkey). One query."""
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def second_factor_verified_within(user, window: timedelta, *, now: datetime | None = None) -> bool:
    """Whether ``user`` passed a second-factor check (TOTP, passkey, backup code) within ``window`` of ``now``."""
    verified = get_user_model().objects.filter(pk=user.pk).values_list("second_factor_verified_at", flat=True).first()
    return verified is not None and verified >= (now or timezone.now()) - window


def backup_codes_remaining(user) -> int:
    return BackupCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def mfa_methods(user) -> list[str]:
    """The second factors ``user`` can sign in with (empty: password only)."""
    types = set(
        Authenticator.objects.filter(
            user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).values_list("type", flat=True)
    )
    totp, passkey = Authenticator.Type.TOTP in types, Authenticator.Type.WEBAUTHN in types
    remaining = backup_codes_remaining(user) if totp or passkey else 0
    return _methods(totp=totp, passkey=passkey, backup_codes=remaining)


def _methods(*, totp: bool, passkey: bool, backup_codes: int) -> list[str]:
    methods = [method for method, enrolled in ((TOTP, totp), (PASSKEY, passkey)) if enrolled]
    if methods and backup_codes:
        methods.append(BACKUP_CODE)
    return methods


def passkey_summary(authenticator: Authenticator) -> dict[str, Any]:
    data = authenticator.data
    return {
        "id": authenticator.pk,
        "name": data.get("name", ""),
        "created_at": authenticator.created_at,
        "last_used_at": authenticator.last_used_at,
    }


def passkey_list(user) -> list[dict[str, Any]]:
    return [passkey_summary(a) for a in passkey_authenticators(user)]


def mfa_status(user) -> dict[str, Any]:
    """Second-factor state. ``backup_codes_generated`` tells "none generated" (0) from "all used"
    (generated > 0, remaining 0)."""
    totp = totp_authenticator(user)
    passkeys = passkey_authenticators(user).count()
    codes = BackupCode.objects.filter(user_id=user.pk).aggregate(
        generated=Count("pk"), remaining=Count("pk", filter=Q(used_at__isnull=True))
    )
    remaining = codes["remaining"]
    return {
        "enabled": totp is not None or passkeys > 0,
        "totp_enabled": totp is not None,
        "totp_enabled_at": totp.created_at if totp else None,
        "passkeys": passkeys,
        "backup_codes_generated": codes["generated"],
        "backup_codes_remaining": remaining,
        "methods": _methods(totp=totp is not None, passkey=passkeys > 0, backup_codes=remaining),
    }
