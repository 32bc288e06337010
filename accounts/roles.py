"""Roles and the permissions they grant (spec: Accounts, authentication, authorisation)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    VIEWER = "viewer", "Viewer"


VIEWER_PERMISSIONS = frozenset(
    {
        "dashboard:read",
        "performance:read",
        "trades:read",
        "config:read",
        "indicators:read",
        "regime:read",
        "status:read",
        "self:password",
        "self:2fa",
        "self:passkey",
    }
)
ADMIN_ONLY_PERMISSIONS = frozenset(
    {
        "trades:execute",
        "engine:control",
        "scheduler:control",
        "config:write",
        "users:manage",
        "backtests:run",
        "broker:manage",
    }
)
ALL_PERMISSIONS = VIEWER_PERMISSIONS | ADMIN_ONLY_PERMISSIONS

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: ALL_PERMISSIONS,
    Role.VIEWER: VIEWER_PERMISSIONS,
}

# Permissions an anonymous visitor gets when AUTH_REQUIRED=false (development only): read-only.
ANONYMOUS_DEV_PERMISSIONS = frozenset(p for p in VIEWER_PERMISSIONS if p.endswith(":read"))


def role_has_permission(role: str, permission: str) -> bool:
    """True when ``role`` grants ``permission`` (admin holds every permission)."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
