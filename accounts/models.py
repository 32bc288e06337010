"""The custom user (role, lockout state). Security events live in ``jutsu.models``."""

from __future__ import annotations

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
