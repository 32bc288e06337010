"""DRF authentication: simplejwt access tokens, with rejected tokens written to the security log."""

from __future__ import annotations

from django.core.cache import cache
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication

from jutsu.client_ip import client_ip
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

# One TOKEN_INVALID row per client IP per minute is enough to see an attack without letting a
# flood of garbage tokens fill the table.
_EVENT_WINDOW_SECONDS = 60


def token_invalid_record(request, *, reason: str) -> None:
    """Record a TOKEN_INVALID event, at most once per client IP and minute."""
    if cache.add(f"accounts:token-invalid:{client_ip(request)}", 1, timeout=_EVENT_WINDOW_SECONDS):
        security_event_record(SecurityEventType.TOKEN_INVALID, request=request, details={"reason": reason})


class AuditedJWTAuthentication(JWTAuthentication):
    """``Authorization: Bearer <access JWT>``; an invalid one is a 401 and a security event."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            codes = exc.get_codes()
            reason = codes if isinstance(codes, str) else "token_not_valid"
            token_invalid_record(request, reason=reason)
            raise exceptions.AuthenticationFailed("Invalid or expired token", code="token_not_valid") from None
