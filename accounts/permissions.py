"""One declarative permission mechanism for API views, pages and WebSockets.

Every DRF view declares ``permission = "<area>:<verb>"`` (or ``PUBLIC``), optionally per method
with ``permissions = {"GET": ..., "POST": ...}``; ``PlatformPermission`` is the default permission
class and refuses any view that declares nothing (fail closed). Pages use ``permission_required``
or ``PagePermissionMixin``; the WebSocket consumer declares ``permission`` the same way.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from rest_framework.permissions import BasePermission

from accounts.roles import ALL_PERMISSIONS, ANONYMOUS_DEV_PERMISSIONS
from jutsu.http import error_response

PUBLIC = "public"


def user_has_permission(user, permission: str) -> bool:
    """The single decision: public, role grant, or the development-only anonymous read access."""
    if permission == PUBLIC:
        return True
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if user is not None and user.is_authenticated:
        return user.has_platform_permission(permission)
    return not settings.AUTH_REQUIRED and permission in ANONYMOUS_DEV_PERMISSIONS


def required_permission(view, method: str) -> str | None:
    """The permission a view declares for ``method`` (None when it declares nothing)."""
    per_method = getattr(view, "permissions", None)
    if per_method and method.upper() in per_method:
        return per_method[method.upper()]
    if method.upper() == "OPTIONS" and (per_method or getattr(view, "permission", None)):
        return PUBLIC
    return getattr(view, "permission", None)


class PlatformPermission(BasePermission):
    """DRF default permission: the view's declared permission, checked against the user's role."""

    message = "Insufficient permissions"

    def has_permission(self, request, view) -> bool:
        permission = required_permission(view, request.method)
        if permission is None:
            return False  # fail closed: an endpoint without a declaration is unreachable
        if permission == PUBLIC:
            return True
        return user_has_permission(request.user, permission)


def _page_denied(request, permission: str):
    user = request.user
    if not user.is_authenticated and (settings.AUTH_REQUIRED or permission not in ANONYMOUS_DEV_PERMISSIONS):
        return redirect_to_login(request.get_full_path())
    return error_response(request, 403, "You do not have permission to open this page.")


def permission_required(permission: str):
    """Decorator for function-based pages: redirect anonymous users to login, 403 otherwise."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not user_has_permission(request.user, permission):
                return _page_denied(request, permission)
            return view_func(request, *args, **kwargs)

        wrapper.permission = permission
        return wrapper

    return decorator


class PagePermissionMixin:
    """For class-based pages: set ``permission``; checked before dispatch."""

    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if self.permission is None:
            return error_response(request, 403, "This page declares no permission.")
        if not user_has_permission(request.user, self.permission):
            return _page_denied(request, self.permission)
        return super().dispatch(request, *args, **kwargs)
