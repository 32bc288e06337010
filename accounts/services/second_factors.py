"""Removing a user's second factor on their behalf (a lost phone or key): the admins' action."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db import transaction

from accounts.services.backup_codes import backup_codes_delete_if_unused
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record


def second_factor_remove(*, authenticator: Authenticator, removed_by, request=None) -> None:
    """Delete a TOTP app or passkey without a code (and the backup codes once no factor is left).

    Audited as PASSKEY_REVOKED or 2FA_DISABLED, naming the target user.
    """
    user, kind, pk = authenticator.user, authenticator.type, authenticator.pk
    passkey = kind == Authenticator.Type.WEBAUTHN
    with transaction.atomic():
        authenticator.delete()
        backup_codes_delete_if_unused(user=user)
        security_event_record(
            SecurityEventType.PASSKEY_REVOKED if passkey else SecurityEventType.TWO_FA_DISABLED,
            user=removed_by,
            request=request,
            details={"target_username": user.username, "authenticator_id": pk, "type": kind, "by": "admin"},
        )
