"""The dashboard WebSocket: authenticate, join the dashboard group, relay events. No DB writes."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from jutsu.events import DASHBOARD_GROUP, ensure_outbox_relay
from jutsu.http import redact_server_paths
from jutsu.json_limits import JsonRejected, json_parse

CLOSE_UNAUTHENTICATED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_MESSAGE_TOO_BIG = 1009  # RFC 6455


class JsonWebsocketConsumer(AsyncJsonWebsocketConsumer):
    """Base of our consumers: every client message is read under the JSON policy (jutsu/json_limits.py).

    A message over ``WEBSOCKET_MAX_MESSAGE_SIZE`` closes the socket (1009); malformed or too deeply
    nested JSON is answered with ``{"type": "error", "detail", "code"}`` and otherwise ignored.
    Outgoing messages name no server directory (``jutsu.http.redact_server_paths``).
    """

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        raw = text_data if text_data is not None else bytes_data
        if raw is None:
            return
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
        if size > settings.WEBSOCKET_MAX_MESSAGE_SIZE:
            await self.close(code=CLOSE_MESSAGE_TOO_BIG)
            return
        try:
            content = json_parse(raw, what="JSON message")
        except JsonRejected as exc:
            await self.send_json({"type": "error", "detail": exc.message, "code": exc.code})
            return
        await self.receive_json(content, **kwargs)

    @classmethod
    async def encode_json(cls, content) -> str:
        # What goes out follows the HTTP rule too: no server directory in any message (jutsu.http).
        return redact_server_paths(await super().encode_json(content))


class DashboardConsumer(JsonWebsocketConsumer):
    """``/ws/``: server → client events (trade_executed, regime_change, data_refresh, error, job_status)."""

    permission = "dashboard:read"

    async def connect(self) -> None:
        user = self.scope.get("user")
        authenticated = bool(user is not None and user.is_authenticated)
        # Accept, then close with our code: a close before accept is an HTTP 403 the client cannot read.
        if not authenticated and settings.AUTH_REQUIRED:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if authenticated and not await self._allowed(user):
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        ensure_outbox_relay()
        await self.channel_layer.group_add(DASHBOARD_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "groups": [DASHBOARD_GROUP]})

    async def _allowed(self, user) -> bool:
        has_permission = getattr(user, "has_platform_permission", None)
        return True if has_permission is None else bool(has_permission(self.permission))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(DASHBOARD_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_event(self, message) -> None:
        await self.send_json(message["event"])
