"""WebSocket authentication: the session cookie, or an access JWT in ``?token=``."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings

from jutsu.client_ip import resolve_client_ip


def _request_from_scope(scope, token: str) -> HttpRequest:
    """A Django request carrying ``token`` as a bearer header, with the socket's client and user agent."""
    request = HttpRequest()
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    client = scope.get("client") or ("", 0)
    request.META = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name not in ("cookie", "authorization")
    }
    request.META.update({"REMOTE_ADDR": client[0] or "", "HTTP_AUTHORIZATION": f"Bearer {token}"})
    request.path = scope.get("path", "")
    request.client_ip = resolve_client_ip(request.META)
    return request


@database_sync_to_async
def _user_for_token(raw: str, scope):
    """The user of an access token, checked by the API's token authentication (same rules, same
    TOKEN_INVALID event); None when the token is not valid."""
    request = _request_from_scope(scope, raw)
    for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        authenticator = authentication_class()
        if not hasattr(authenticator, "get_validated_token"):
            continue  # session authentication: the cookie is handled by AuthMiddlewareStack
        try:
            result = authenticator.authenticate(request)
        except AuthenticationFailed:
            return None
        if result is not None:
            return result[0]
    return None


class JWTQueryAuthMiddleware(BaseMiddleware):
    """If ``?token=`` is present it decides the user: valid → that user, invalid → anonymous."""

    async def __call__(self, scope, receive, send):
        token = _query_token(scope)
        if token:
            user = await _user_for_token(token, scope)
            scope = dict(scope, user=user or AnonymousUser(), token_invalid=user is None)
        return await super().__call__(scope, receive, send)


def _query_token(scope) -> str | None:
    return parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]


class CookieOriginValidator:
    """Check the Origin header only for cookie-authenticated sockets.

    A browser sends the session cookie with any cross-site WebSocket, so those connections must come
    from an allowed host. A ``?token=`` connection carries its own credential (no ambient cookie),
    so API clients without an Origin header are let through; the token decides who they are.
    """

    def __init__(self, inner) -> None:
        self.inner = inner
        self.checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope, receive, send):
        app = self.inner if _query_token(scope) else self.checked
        return await app(scope, receive, send)


def websocket_auth(inner):
    """Origin check for cookie sockets; session authentication, then the token (which wins when given)."""
    return CookieOriginValidator(AuthMiddlewareStack(JWTQueryAuthMiddleware(inner)))
