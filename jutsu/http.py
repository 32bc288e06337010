"""Error responses shaped by where the request went (JSON for ``/api/``, templates for pages), and
the redaction of server directories from anything sent to a client."""

from __future__ import annotations

import logging
import sys
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

PAGE_TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
PAGE_DETAILS = {
    400: "The request could not be understood.",
    403: "You do not have permission to see this page.",
    404: "There is no page at this address.",
    405: "This address does not answer that kind of request (a form posts here; opening it directly shows nothing).",
    429: "Too many requests — wait a moment and try again.",
}


def wants_json(request: HttpRequest) -> bool:
    """API paths, and clients that ask for JSON only, get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: HttpRequest, status: int, detail: str, *, code: str | None = None) -> HttpResponse:
    """``{"detail": …}`` for API clients, the friendly error template for browsers."""
    if wants_json(request):
        body = {"detail": detail}
        if code:
            body["code"] = code
        return JsonResponse(body, status=status)
    context = {"status": status, "title": PAGE_TITLES.get(status, "Error"), "detail": detail}
    try:
        html = _error_page(request, context)
    except TemplateDoesNotExist:
        html = f"<h1>{status}</h1><p>{PAGE_TITLES.get(status, 'Error')}</p>"
    return HttpResponse(html, status=status)


def _error_page(request: HttpRequest, context: dict) -> str:
    """The error page inside the site's frame: navigation for the signed-in user, the environment's name.

    Rendered with the request (user, context processors); when the database is what failed, again
    without it — anonymous navigation, no banners — so an error page never fails itself.
    """
    try:
        return render_to_string("errors/error.html", context, request=request)
    except DatabaseError:
        logger.warning("error page rendered without the request: the database is unavailable", exc_info=True)
        minimal = {**context, "minimal": True, "JUTSU_ENV": settings.JUTSU.environment}
        return render_to_string("errors/error.html", minimal, request=None)


def bare_error_to_page(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A page request answered by an error without a body (``require_POST``'s 405, a bare 403) gets the
    site's error page instead, keeping the status and headers such as ``Allow``."""
    if response.status_code < 400 or getattr(response, "streaming", False) or response.content or wants_json(request):
        return response
    page = error_response(
        request, response.status_code, PAGE_DETAILS.get(response.status_code, "Something went wrong.")
    )
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if response.has_header(header):
            page[header] = response[header]
    return page


def server_roots() -> list[str]:
    """Directories of this installation that no response may name (longest first), each ending in ``/``.

    The project, its data and config directories and the Python installation; a root with fewer than
    two components (``/``, ``/usr``) is never listed, so ordinary text is left alone.
    """
    candidates = (settings.BASE_DIR, settings.JUTSU_DATA_DIR, settings.JUTSU_CONFIG_DIR, sys.prefix, sys.base_prefix)
    return _roots(tuple(str(c) for c in candidates))


@lru_cache(maxsize=8)
def _roots(candidates: tuple[str, ...]) -> list[str]:
    roots = set()
    for candidate in candidates:
        path = Path(candidate)
        for variant in {path, path.resolve()}:
            if len(variant.parts) >= 3:
                roots.add(str(variant).rstrip("/") + "/")
    return sorted(roots, key=len, reverse=True)


def redact_server_paths(text: str) -> str:
    """``text`` with every server directory removed: ``/srv/jutsu/config/x.yaml`` → ``config/x.yaml``."""
    for root in server_roots():
        if root in text:
            text = text.replace(root, "")
    return text


def redact_server_paths_bytes(content: bytes) -> bytes:
    """``redact_server_paths`` for a UTF-8 response body (the same object back when nothing matched)."""
    for root in server_roots():
        encoded = root.encode()
        if encoded in content:
            content = content.replace(encoded, b"")
    return content
