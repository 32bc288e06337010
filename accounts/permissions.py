"""One declarative permission mechanism for API views, pages and WebSockets.

Every DRF view declares ``permission = "<area>:<verb>"`` (or ``PUBLIC``, or ``AUTHENTICATED`` for
"any signed-in user"), optionally per method with ``permissions = {"GET": ..., "POST": ...}``;
``PlatformPermission`` is the default permission class and refuses any view that declares nothing
(fail closed). Pages use ``permission_required`` or ``PagePermissionMixin``; the WebSocket consumer
declares ``permission`` the same way. A signed-in user refused a permission is an ACCESS_DENIED event.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from rest_framework.permissions import BasePermission

from accounts.roles import ALL_PERMISSIONS, ANONYMOUS_DEV_PERMISSIONS
from jutsu.http import error_response

PUBLIC = "public"
AUTHENTICATED = "authenticated"  # any active, signed-in user; never the anonymous development viewer

_DENIED_EVENT_WINDOW_SECONDS = 60


def user_has_permission(user, permission: str) -> bool:
    """The single decision: public, role grant, or the development-only anonymous read access."""
    if permission == PUBLIC:
        return True
    signed_in = user is not None and user.is_authenticated
    if permission == AUTHENTICATED:
        return bool(signed_in and user.is_active)
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if signed_in:
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


def access_denied_record(request, *, permission: str | None) -> None:
    """ACCESS_DENIED for a signed-in user (once per user, path and minute)."""
    from jutsu.models import SecurityEventType
    from jutsu.security import security_event_record

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    if cache.add(f"accounts:denied:{user.pk}:{request.method}:{request.path}", 1, timeout=_DENIED_EVENT_WINDOW_SECONDS):
        security_event_record(
            SecurityEventType.ACCESS_DENIED,
            user=user,
            request=request,
            details={"method": request.method, "path": request.path, "permission": permission or "undeclared"},
        )


class PlatformPermission(BasePermission):
    """DRF default permission: the view's declared permission, checked against the user's role."""

    message = "Insufficient permissions"

    def has_permission(self, request, view) -> bool:
        permission = required_permission(view, request.method)
        if permission is None:
            access_denied_record(request, permission=None)
            return False  # fail closed: an endpoint without a declaration is unreachable
        if permission == PUBLIC:
            return True
        allowed = user_has_permission(request.user, permission)
        if not allowed:
            access_denied_record(request, permission=permission)
        return allowed


def _page_denied(request, permission: str):
    user = request.user
    if not user.is_authenticated and (
        settings.AUTH_REQUIRED or permission == AUTHENTICATED or permission not in ANONYMOUS_DEV_PERMISSIONS
    ):
        return redirect_to_login(request.get_full_path())
    access_denied_record(request, permission=permission)
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
