"""WebSocket authentication: the session cookie, or an access JWT in ``?token=``."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(raw: str):
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw.encode())
        return auth.get_user(validated)
    except (InvalidToken, TokenError):
        return None
    except Exception:  # user deleted/inactive → AuthenticationFailed
        return None


class JWTQueryAuthMiddleware(BaseMiddleware):
    """If ``?token=`` is present it decides the user: valid → that user, invalid → anonymous."""

    async def __call__(self, scope, receive, send):
        token = _query_token(scope)
        if token:
            user = await _user_for_token(token)
            scope = dict(scope, user=user or AnonymousUser(), token_invalid=user is None)
        return await super().__call__(scope, receive, send)


def _query_token(scope) -> str | None:
    return parse_qs(scope.get("query_string", b"").decode()).get("token", [None])[0]


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
