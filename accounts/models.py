"""Users (role, lockout state), invitations, hashed backup codes and pending auth ceremonies.

Security events live in ``jutsu.models`` (every app writes them) and are re-exported here because
accounts owns the security log API. TOTP secrets and passkeys are allauth ``Authenticator`` rows
(``allauth.mfa.models``); the TOTP secret is Fernet-encrypted by ``accounts.adapters.MFAAdapter``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role, role_has_permission
from jutsu.models import SecurityEvent  # noqa: F401  (re-exported: accounts owns the security log API)


class User(AbstractUser):
    """A platform user: admin or viewer."""

    email = models.EmailField(blank=True, null=True, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    second_factor_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="Last successful TOTP, passkey or backup-code check (sign-in or re-check)"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid")]

    def save(self, *args, **kwargs):
        if self.email == "":
            self.email = None
        super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def is_locked(self, at=None) -> bool:
        at = at or timezone.now()
        return self.locked_until is not None and self.locked_until > at

    def has_platform_permission(self, permission: str) -> bool:
        """Whether this user's role grants ``permission`` (inactive users have none)."""
        return self.is_active and role_has_permission(self.role, permission)


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class InvitationQuerySet(models.QuerySet):
    def pending(self, at=None) -> InvitationQuerySet:
        """Neither accepted nor revoked, and not expired at ``at``."""
        at = at or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at)


class Invitation(models.Model):
    """A single-use invitation. Only the SHA-256 of the token is stored; the token is shown once."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True, default="")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid")]

    def __str__(self) -> str:
        return f"invitation #{self.pk} ({self.role}, {self.email or 'no email'})"

    def status_at(self, at=None) -> str:
        at = at or timezone.now()
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> str:
        return self.status_at()


class BackupCode(models.Model):
    """One single-use 2FA backup code, stored as scrypt(code, salt); the salt is shared per batch."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes")
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="backup_code_unique_per_user")]

    def __str__(self) -> str:
        return f"backup code of {self.user_id} ({'used' if self.used_at else 'unused'})"


class ChallengePurpose(models.TextChoices):
    TOTP_SETUP = "totp_setup"
    PASSKEY_REGISTER = "passkey_register"
    PASSKEY_AUTHENTICATE = "passkey_authenticate"


class AuthChallenge(models.Model):
    """A pending ceremony (TOTP set-up, passkey registration or authentication) with an expiry.

    ``state`` holds what the completion step needs (the WebAuthn challenge, the encrypted pending
    TOTP secret); a challenge is consumed at most once (``used_at`` set by a conditional update).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=24, choices=ChallengePurpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=ChallengePurpose.values), name="auth_challenge_purpose_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.id}"
