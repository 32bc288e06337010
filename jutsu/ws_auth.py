"""WebSocket authentication: the session cookie, or an access JWT in ``?token=``."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
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
        token = parse_qs(scope.get("query_string", b"").decode()).get("token", [None])[0]
        if token:
            user = await _user_for_token(token)
            scope = dict(scope, user=user or AnonymousUser(), token_invalid=user is None)
        return await super().__call__(scope, receive, send)


def websocket_auth(inner):
    """Session authentication first, then the token (which wins when given)."""
    return AuthMiddlewareStack(JWTQueryAuthMiddleware(inner))
