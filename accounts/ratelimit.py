"""Per-client-IP rate limits for sign-in, 2FA and passkey endpoints (django-ratelimit).

The rate is the runtime parameter ``security.login_rate_limit`` (default ``5/m``), resolved on each
request; the key is the trusted-proxy-aware client IP, so a spoofed ``X-Forwarded-For`` from an
untrusted peer lands in the peer's own bucket. Counters live in the default cache (Redis in
production; the per-process memory cache is correct for the single daphne web process).
"""

from __future__ import annotations

import re
from functools import wraps

from django.core.cache import cache
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from accounts.errors import RateLimited
from jutsu.client_ip import client_ip
from jutsu.conf.resolver import resolve_value
from jutsu.errors import ConfigError
from jutsu.http import error_response
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

LOGIN = "login"
SECOND_FACTOR = "2fa"
PASSKEY = "passkey"
PASSKEY_REGISTER = "passkey-register"
INVITATION = "invitation"

_RATE = re.compile(r"^\d+/\d*[smhd]$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def login_rate() -> str:
    """The effective rate (``"5/m"``); a malformed value is a configuration error, never ignored."""
    rate = str(resolve_value("security.login_rate_limit")).strip()
    if not _RATE.match(rate):
        raise ConfigError(f"{rate!r} is not a rate like 5/m or 20/h", key="security.login_rate_limit")
    return rate


def _retry_after_seconds(rate: str) -> int:
    period = rate.split("/", 1)[1]
    multiplier = int(period[:-1]) if period[:-1] else 1
    return multiplier * _PERIOD_SECONDS[period[-1]]


def _key(group, request) -> str:
    return client_ip(request) or "unknown"


def _rate(group, request) -> str:
    return login_rate()


def rate_limit_hit(request, group: str) -> bool:
    """Count one attempt of ``group`` for the request's client IP; True when over the limit."""
    limited = is_ratelimited(
        request=request, group=f"accounts.{group}", key=_key, rate=_rate, method=ALL, increment=True
    )
    if limited:
        ip = client_ip(request) or "unknown"
        # One RATE_LIMITED row per IP, group and minute: visible, but a flood cannot fill the table.
        if cache.add(f"accounts:rate-limited:{group}:{ip}", 1, timeout=60):
            security_event_record(
                SecurityEventType.RATE_LIMITED,
                request=request,
                details={"group": group, "path": request.path, "rate": login_rate()},
            )
    return limited


def rate_limit_enforce(request, group: str) -> None:
    """Raise ``RateLimited`` (429) when the client IP is over the limit for ``group``."""
    if rate_limit_hit(request, group):
        raise RateLimited(retry_after_seconds=_retry_after_seconds(login_rate()))


class RateLimitedApiMixin:
    """For DRF views: ``rate_limit_group`` is checked on POST before authentication and permissions."""

    rate_limit_group: str | None = None
    rate_limit_methods: tuple[str, ...] = ("POST",)

    def initial(self, request, *args, **kwargs):
        if self.rate_limit_group and request.method in self.rate_limit_methods:
            rate_limit_enforce(request, self.rate_limit_group)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after_seconds)
        return response


def rate_limited_post(group: str):
    """Decorator for page views: a POST over the limit gets the friendly 429 page."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and rate_limit_hit(request, group):
                response = error_response(
                    request, 429, "Too many attempts from your address. Wait a minute and try again."
                )
                response["Retry-After"] = str(_retry_after_seconds(login_rate()))
                return response
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator
