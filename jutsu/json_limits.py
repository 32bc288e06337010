"""The JSON policy for everything a client sends: API bodies, WebSocket messages, JSON form fields.

Next to the body-size limit (``MAX_REQUEST_SIZE``, ``jutsu/asgi_limits.py``): a JSON document may
nest at most ``JSON_MAX_DEPTH`` arrays/objects, may not use the non-standard constants ``NaN`` /
``Infinity``, and a WebSocket message may be at most ``WEBSOCKET_MAX_MESSAGE_SIZE`` bytes. Anything
else is a ``JsonRejected`` error naming the problem — a 400 ``{"detail", "code"}`` on the API,
an ``error`` message on the WebSocket, a form error on pages — never a ``RecursionError`` (500).

``json_parse`` is the one parser; DRF uses it through ``JSONParser`` (``DEFAULT_PARSER_CLASSES``),
the WebSocket consumers through ``jutsu.consumers.JsonWebsocketConsumer``, forms through
``JSONFormField``.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from jutsu.errors import InvalidParameter

TOO_DEEP = "json_too_deep"
INVALID = "json_invalid"


class JsonRejected(InvalidParameter):
    """A JSON document the platform refuses to read; ``code`` says why."""

    code = INVALID


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _depth_exceeds(data: Any, limit: int) -> bool:
    """True when ``data`` nests more than ``limit`` containers (iterative: no recursion)."""
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def too_deep_message() -> str:
    return f"JSON nested too deeply (limit {settings.JSON_MAX_DEPTH} levels of arrays/objects)"


def json_parse(text: str | bytes, *, what: str = "JSON") -> Any:
    """Parse ``text`` under the policy; ``JsonRejected`` names what is wrong with it."""
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        # The C parser gives up near the interpreter's recursion limit: far past ours.
        raise JsonRejected(too_deep_message(), code=TOO_DEEP) from None
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise JsonRejected(f"Malformed {what}: {exc}", code=INVALID) from None
    if _depth_exceeds(data, settings.JSON_MAX_DEPTH):
        raise JsonRejected(too_deep_message(), code=TOO_DEEP)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser under the platform's policy (the only parser of every API)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"Malformed JSON body: not {encoding} text ({exc})", code=INVALID) from None
        try:
            return json_parse(text, what="JSON body")
        except JsonRejected as exc:
            raise ParseError(exc.message, code=exc.code) from None


class JSONFormField(forms.JSONField):
    """A form field holding JSON (e.g. a passkey assertion posted by the page) under the same policy."""

    def to_python(self, value):
        if self.disabled or value in self.empty_values:
            return super().to_python(value)
        if isinstance(value, (list, dict, int, float)):
            return value
        try:
            return json_parse(value)
        except JsonRejected as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
