"""Second factors: remembering when one was last verified, and removing one on a user's behalf (admins)."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

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


def second_factor_verified_record(*, user, at=None) -> None:
    """Remember that ``user`` just passed a second-factor check (sign-in or ``POST /api/2fa/validate``).

    Actions that must be recent-second-factor protected (switching to ``online_live``) read it through
    ``accounts.selectors.second_factor_verified_within``.
    """
    moment = at or timezone.now()
    get_user_model().objects.filter(pk=user.pk).update(second_factor_verified_at=moment)
    user.second_factor_verified_at = moment
