"""Reading presented JWTs, and DRF authentication with rejected tokens written to the security log.

``token_read`` is the one place a token from a client is parsed (``Authorization`` header on any
API, ``?token=`` on the WebSocket through the same authentication class, refresh and logout). Every
way a token can be wrong — malformed, over-long, unsigned (``alg=none``), signed with another key,
altered, expired, blacklisted, of the wrong type — ends in ``None`` here and so in a 401, never in
an exception from simplejwt or PyJWT escaping into a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import AccessToken, Token

from jutsu.client_ip import client_ip
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

# One TOKEN_INVALID row per client IP per minute is enough to see an attack without letting a
# flood of garbage tokens fill the table.
_EVENT_WINDOW_SECONDS = 60
# Our tokens are ~250 characters; anything far longer is not one of ours and is not parsed at all.
MAX_TOKEN_LENGTH = 4096
# simplejwt wraps PyJWT's errors in TokenError, but its backend raises TokenBackendError (not a
# TokenError) and a hostile token can still reach the codecs: all of these mean "not a valid token".
_TOKEN_ERRORS = (TokenError, TokenBackendError, ValueError, TypeError, KeyError, UnicodeError)

INVALID_TOKEN = "Invalid or expired token: sign in again"


def token_invalid_record(request, *, reason: str) -> None:
    """Record a TOKEN_INVALID event, at most once per client IP and minute."""
    if cache.add(f"accounts:token-invalid:{client_ip(request)}", 1, timeout=_EVENT_WINDOW_SECONDS):
        security_event_record(SecurityEventType.TOKEN_INVALID, request=request, details={"reason": reason})


def _text(raw: str | bytes | None) -> str | None:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    return raw


def token_read(raw: str | bytes | None, token_class: type[Token] = AccessToken) -> Token | None:
    """A valid token of ``token_class`` (signature, expiry, type, blacklist checked), else None."""
    text = _text(raw)
    if text is None:
        return None
    try:
        return token_class(text)
    except _TOKEN_ERRORS:
        return None


def token_signed_payload(raw: str | bytes | None) -> dict[str, Any] | None:
    """The payload of a correctly signed, unexpired token of any type (blacklist not checked), else None."""
    text = _text(raw)
    if text is None:
        return None
    try:
        return dict(token_backend.decode(text, verify=True))
    except _TOKEN_ERRORS:
        return None


class AuditedJWTAuthentication(JWTAuthentication):
    """``Authorization: Bearer <access JWT>``; an invalid one is a 401 and a security event."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            codes = exc.get_codes()
            reason = codes if isinstance(codes, str) else "token_not_valid"
            token_invalid_record(request, reason=reason)
            raise exceptions.AuthenticationFailed(INVALID_TOKEN, code="token_not_valid") from None

    def get_validated_token(self, raw_token):
        token = token_read(raw_token, AccessToken)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN, code="token_not_valid")
        return token
