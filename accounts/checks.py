"""System checks for the accounts settings."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_fernet_key(app_configs, **kwargs):
    """Production needs FERNET_KEY: without it TOTP set-up and sign-in with TOTP refuse to work."""
    if settings.JUTSU.is_production and not settings.FERNET_KEYS:
        return [
            checks.Info(
                "FERNET_KEY is not set: two-factor secrets cannot be encrypted, so TOTP is unavailable",
                hint="Set FERNET_KEY (or FERNET_KEY_FILE, /run/secrets/fernet_key) to a Fernet key.",
                id="accounts.I001",
            )
        ]
    return []


@checks.register(checks.Tags.caches)
def check_rate_limit_cache(app_configs, **kwargs):
    """Rate limits and lockout helpers need the default cache to be shared by every web process."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith("DummyCache"):
        return [checks.Error("the default cache is a DummyCache: rate limits cannot work", id="accounts.E002")]
    if backend.endswith("LocMemCache") and settings.JUTSU.is_production:
        return [
            checks.Info(
                "rate limits use a per-process memory cache; correct for one web process, set REDIS_URL for more",
                id="accounts.I002",
            )
        ]
    return []
