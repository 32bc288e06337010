"""Cross-cutting HTTP behaviour: client IP, body-size limit, security headers, access log."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin

from jutsu.asgi_limits import too_large_message
from jutsu.client_ip import is_trusted_proxy, resolve_client_ip
from jutsu.http import bare_error_to_page, error_response, redact_server_paths_bytes

access_logger = logging.getLogger("jutsu.access")


_TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/xml")


class ServerPathRedactionMiddleware(MiddlewareMixin):
    """No response names a server directory (``jutsu.http.server_roots``): the last line of defence.

    Messages are written without paths where they are made (the YAML origin is a file name, errors
    name files relative to the config directory); this catches the rest — an ``OSError`` text in a
    job message, a file named in a configuration error — for every page, API answer and CSV.
    """

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if getattr(response, "streaming", False) or not content_type.startswith(_TEXT_TYPES):
            return response
        content = response.content
        redacted = redact_server_paths_bytes(content)
        if redacted is not content:
            response.content = redacted
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(redacted))
        return response


class ClientIPMiddleware(MiddlewareMixin):
    """Set ``request.client_ip``; drop proxy headers sent by peers that are not trusted proxies."""

    def process_request(self, request):
        peer = request.META.get("REMOTE_ADDR")
        if not is_trusted_proxy(peer, settings.TRUSTED_PROXIES):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        request.client_ip = resolve_client_ip(request.META)


class RequestSizeLimitMiddleware(MiddlewareMixin):
    """Refuse bodies larger than ``MAX_REQUEST_SIZE`` with 413 before anything reads them."""

    def process_request(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response(request, 400, "Invalid Content-Length header")
        if length > settings.MAX_REQUEST_SIZE:
            return error_response(request, 413, too_large_message())
        return None


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Content-Security-Policy and Permissions-Policy on every response."""

    def process_response(self, request, response):
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class AccessLogMiddleware(MiddlewareMixin):
    """One line per request: method, path (no query string: it may carry tokens), status, ms."""

    def process_request(self, request):
        request._jutsu_started = time.perf_counter()

    def process_response(self, request, response):
        started = getattr(request, "_jutsu_started", None)
        if started is not None and not request.path.startswith(settings.STATIC_URL):
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_logger.info(
                "%s %s %s %.1fms ip=%s",
                request.method,
                request.path,
                response.status_code,
                elapsed_ms,
                getattr(request, "client_ip", None) or "-",
            )
        return response


class ErrorPageMiddleware(MiddlewareMixin):
    """Body-less error responses to page requests (``require_POST``'s 405 …) become the site's error page."""

    def process_response(self, request, response):
        return bare_error_to_page(request, response)
