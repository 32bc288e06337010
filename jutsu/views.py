"""Project-level views: error handlers for every path (JSON under /api/, templates elsewhere)."""

from __future__ import annotations

from jutsu.http import error_response


def bad_request(request, exception=None):
    return error_response(request, 400, "Bad request")


def permission_denied(request, exception=None):
    return error_response(request, 403, "Insufficient permissions")


def page_not_found(request, exception=None):
    return error_response(request, 404, "Resource not found" if request.path.startswith("/api/") else "Page not found")


def server_error(request):
    # Django has already logged the traceback (django.request); the client gets nothing internal.
    return error_response(request, 500, "Internal server error")
