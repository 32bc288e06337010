"""Rate limits for everything that checks a secret (django-ratelimit), per client IP and per user.

Budgets ("groups"), each ``security.login_rate_limit`` (default ``5/m``), resolved on each request:

* ``PASSWORD`` — **one budget per client IP shared by every sign-in that verifies a password**:
  the page login, ``/api/auth/login``, ``/api/auth/login/2fa``, ``/api/passkey/authenticate/options``.
  Five password guesses a minute from one address in total, not five per endpoint.
* ``CURRENT_PASSWORD`` (per client IP) and ``USER_PASSWORD`` (per signed-in user) — a signed-in
  user confirming the current password: the password change (page and API) and backup-code
  regeneration (which may take the password). Their own budgets, so a user mistyping a current
  password does not lock everyone behind the same address out of signing in; their failures count
  toward the same account lockout as sign-in failures, which bounds the guesses per account.
* ``SECOND_FACTOR``, ``PASSKEY``, ``PASSKEY_REGISTER``, ``INVITATION`` — per client IP, for codes,
  passkey ceremonies and invitation tokens.

The IP key is the trusted-proxy-aware client IP, so a spoofed ``X-Forwarded-For`` from an untrusted
peer lands in the peer's own bucket. Counters live in the default cache (Redis in production; the
per-process memory cache is correct for the single daphne web process).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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

PASSWORD = "password"
CURRENT_PASSWORD = "current-password"
USER_PASSWORD = "user-password"
SECOND_FACTOR = "2fa"
PASSKEY = "passkey"
PASSKEY_REGISTER = "passkey-register"
INVITATION = "invitation"
PER_USER_GROUPS = frozenset({USER_PASSWORD})

_RATE = re.compile(r"^\d+/\d*[smhd]$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def login_rate() -> str:
    """The effective rate (``"5/m"``); a malformed value is a configuration error, never ignored."""
    rate = str(resolve_value("security.login_rate_limit")).strip()
    if not _RATE.match(rate):
        raise ConfigError(f"{rate!r} is not a rate like 5/m or 20/h", key="security.login_rate_limit")
    return rate


def retry_after_seconds() -> int:
    """The length of one rate-limit window, for ``Retry-After``."""
    period = login_rate().split("/", 1)[1]
    multiplier = int(period[:-1]) if period[:-1] else 1
    return multiplier * _PERIOD_SECONDS[period[-1]]


def _bucket(request, group: str) -> str | None:
    """The counter key: the client IP, or the signed-in user for per-user groups (None: not counted)."""
    if group in PER_USER_GROUPS:
        user = getattr(request, "user", None)
        return f"user:{user.pk}" if user is not None and user.is_authenticated else None
    return client_ip(request) or "unknown"


def rate_limit_hit(request, group: str) -> bool:
    """Count one attempt of ``group`` for the request's client IP (or user); True when over the limit."""
    bucket = _bucket(request, group)
    if bucket is None:
        return False
    limited = is_ratelimited(
        request=request,
        group=f"accounts.{group}",
        key=lambda _group, _request: bucket,
        rate=lambda _group, _request: login_rate(),
        method=ALL,
        increment=True,
    )
    # One RATE_LIMITED row per bucket, group and minute: visible, but a flood cannot fill the table.
    if limited and cache.add(f"accounts:rate-limited:{group}:{bucket}", 1, timeout=60):
        security_event_record(
            SecurityEventType.RATE_LIMITED,
            user=getattr(request, "user", None) if group in PER_USER_GROUPS else None,
            request=request,
            details={"group": group, "path": request.path, "rate": login_rate()},
        )
    return limited


def rate_limit_enforce(request, *groups: str) -> None:
    """Count one attempt in each of ``groups``; raise ``RateLimited`` (429) when one is over its limit."""
    for group in groups:
        if rate_limit_hit(request, group):
            raise RateLimited(retry_after_seconds=retry_after_seconds())


def _split(groups: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    groups = tuple(groups)
    return tuple(g for g in groups if g not in PER_USER_GROUPS), tuple(g for g in groups if g in PER_USER_GROUPS)


class RateLimitedApiMixin:
    """For DRF views: ``rate_limit_groups`` are counted on ``rate_limit_methods``.

    Per-IP groups are checked before authentication, permissions and parsing (a refused request
    costs nothing); per-user groups right after authentication.
    """

    rate_limit_groups: tuple[str, ...] = ()
    rate_limit_methods: tuple[str, ...] = ("POST",)

    def initial(self, request, *args, **kwargs):
        counted = request.method in self.rate_limit_methods
        by_ip, by_user = _split(self.rate_limit_groups)
        if counted:
            rate_limit_enforce(request, *by_ip)
        super().initial(request, *args, **kwargs)
        if counted:
            rate_limit_enforce(request, *by_user)


def rate_limited_post(*groups: str):
    """Decorator for page views: a POST over a limit gets the friendly 429 page."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                try:
                    rate_limit_enforce(request, *groups)
                except RateLimited as exc:
                    response = error_response(request, 429, "Too many attempts. Wait a minute and try again.")
                    response["Retry-After"] = str(exc.retry_after_seconds)
                    return response
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator
