"""Error responses shaped by where the request went: JSON for ``/api/``, templates for pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

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
    try:
        html = render_to_string(
            "errors/error.html",
            {"status": status, "title": PAGE_TITLES.get(status, "Error"), "detail": detail},
            request=None,
        )
    except TemplateDoesNotExist:
        html = f"<h1>{status}</h1><p>{PAGE_TITLES.get(status, 'Error')}</p>"
    return HttpResponse(html, status=status)
