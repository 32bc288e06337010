"""Request-body limit at the ASGI boundary, for bodies that declare no length (chunked uploads).

``RequestSizeLimitMiddleware`` refuses a too-large ``Content-Length`` before Django reads anything;
a chunked body has no length to check, so this wrapper counts the bytes as they arrive and answers
413 once ``MAX_REQUEST_SIZE`` is passed, without handing the request to Django at all. A chunked
body within the limit is passed on with its length (Django would otherwise read it as empty).
"""

from __future__ import annotations

import json

from django.conf import settings


def too_large_message() -> str:
    return f"Request body too large (limit {settings.MAX_REQUEST_SIZE / (1024 * 1024):g} MB)"


class BodySizeLimit:
    """ASGI wrapper: buffer the body up to the limit, then replay it to the application."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_SIZE
        buffered: list[dict] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                return await self._refuse(scope, send)
            if not message.get("more_body", False):
                break

        async def replay():
            return buffered.pop(0) if buffered else await receive()

        if not any(name == b"content-length" for name, _ in scope.get("headers", [])):
            # Django reads exactly Content-Length bytes; a chunked body is now whole, so say how long it is.
            scope = {**scope, "headers": [*scope.get("headers", []), (b"content-length", str(size).encode())]}
        return await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope, send) -> None:
        detail = too_large_message()
        if scope.get("path", "").startswith("/api/"):
            body, content_type = json.dumps({"detail": detail}).encode(), b"application/json"
        else:
            body, content_type = f"<h1>413</h1><p>{detail}</p>".encode(), b"text/html; charset=utf-8"
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
