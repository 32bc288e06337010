"""DRF glue shared by every app: the one exception handler that shapes ``{"detail": …}`` errors, request
validation helpers and ``?format=csv`` (:class:`CsvCapableMixin`)."""

from __future__ import annotations

import csv
import io
import json
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from jutsu.errors import JutsuError

logger = logging.getLogger(__name__)

_DEFAULT_DETAIL = {
    401: "Not authenticated",
    403: "Insufficient permissions",
    404: "Resource not found",
    429: "Rate limit exceeded",
}


def _flatten(detail) -> str:
    """Turn DRF's nested validation errors into one readable sentence naming each field."""
    if isinstance(detail, dict):
        parts = []
        for field, value in detail.items():
            text = _flatten(value)
            parts.append(text if field in ("non_field_errors", "detail") else f"{field}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def exception_handler(exc, context):
    """Map every exception to ``{"detail": str, "code": str}``; unknown ones to a logged generic 500."""
    if isinstance(exc, JutsuError):
        response = Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
        retry_after = getattr(exc, "retry_after_seconds", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, ValidationError):
        return Response({"detail": " ".join(exc.messages), "code": "invalid"}, status=400)
    if isinstance(exc, (Http404, PermissionDenied)):
        exc = exceptions.NotFound() if isinstance(exc, Http404) else exceptions.PermissionDenied()

    response = drf_default_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.exception("unhandled error in %s", type(view).__name__ if view else "API view", exc_info=exc)
        return Response({"detail": "Internal server error", "code": "server_error"}, status=500)

    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    if isinstance(exc, exceptions.ValidationError):
        detail = _flatten(exc.detail)
        code = "invalid_parameter"
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        detail = _flatten(exc.detail) or _DEFAULT_DETAIL[401]
        response.status_code = status.HTTP_401_UNAUTHORIZED
    else:
        detail = _flatten(getattr(exc, "detail", "")) or _DEFAULT_DETAIL.get(response.status_code, "Error")
    response.data = {"detail": detail, "code": code}
    return response


class PageInput(serializers.Serializer):
    """``limit``/``offset`` validated before a paginator reads them: junk is a 400, not a silent default."""

    limit = serializers.IntegerField(required=False, min_value=1, max_value=5000)
    offset = serializers.IntegerField(required=False, min_value=0)


def validated(serializer_class, data) -> dict:
    """Validate request data with ``serializer_class``; a 400 ``{"detail"}`` names each bad field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def query_params_valid(serializer_class, request) -> dict:
    """Validate ``request.query_params`` with ``serializer_class``; errors are 400s naming the parameter."""
    return validated(serializer_class, request.query_params.dict())


class DateSpanInput(serializers.Serializer):
    """``start_date``/``end_date``, in order."""

    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"start_date": f"{start} is after end_date {end}"})
        return attrs


class DateRangeInput(DateSpanInput):
    """The date-range convention: ``days`` back from the latest row, or ``start_date``/``end_date``."""

    days = serializers.IntegerField(required=False, min_value=1, max_value=36_500)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("days") and attrs.get("start_date"):
            raise serializers.ValidationError({"days": "give days or start_date, not both"})
        return attrs


def paginated_response(view, request, rows, serializer_class) -> Response:
    """One page of ``rows`` (``limit``/``offset``) in the envelope ``count``/``next``/``previous``/``results``.

    The view names its ``pagination_class``, which is also how the OpenAPI schema documents the envelope.
    """
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class CsvCapableMixin:
    """``?format=csv`` on any endpoint that lists rows: the JSON payload's table, as CSV; errors stay JSON.

    A view lists its rows with ``csv_rows(data) -> (filename, [dict, …])``; the history view streams its own
    columns instead. ``format`` other than json/csv is a 400 naming the parameter.
    """

    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type  # DRF would 404 on a format it has no renderer for

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.query_params.get("format", "json") not in ("json", "csv"):
            raise serializers.ValidationError({"format": "use json or csv"})

    def finalize_response(self, request, response, *args, **kwargs):
        wants_csv = (
            request.method == "GET" and request.query_params.get("format") == "csv" and response.status_code == 200
        )
        if wants_csv and isinstance(response, Response) and hasattr(self, "csv_rows"):
            filename, rows = self.csv_rows(response.data)
            csv_response = dict_rows_csv(rows, filename, getattr(self, "csv_columns", ()))
            return super().finalize_response(request, csv_response, *args, **kwargs)
        return super().finalize_response(request, response, *args, **kwargs)


def dict_rows_csv(rows: list[dict], filename: str, columns=()) -> HttpResponse:
    """A CSV attachment, one line per dict; the header is ``columns`` (for empty tables) followed by every key seen."""
    columns = list(dict.fromkeys([*columns, *(key for row in rows for key in row)]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_cell(value) -> str:
    """A CSV cell: empty for None, JSON for dicts/lists, ``str`` otherwise."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)
