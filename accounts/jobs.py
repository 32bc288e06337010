"""Housekeeping steps of the accounts app (run by the daily ``housekeeping`` job)."""

from __future__ import annotations

from datetime import timedelta

from jutsu.jobs import housekeeping_step


@housekeeping_step("purge_auth_ceremonies")
def purge_auth_ceremonies(ctx) -> str:
    """Delete TOTP set-up and passkey challenges that expired (they last minutes)."""
    from accounts.models import AuthChallenge

    deleted, _ = AuthChallenge.objects.filter(expires_at__lt=ctx.as_of - timedelta(hours=1)).delete()
    return f"{deleted} expired challenges removed"


@housekeeping_step("purge_expired_refresh_tokens")
def purge_expired_refresh_tokens(ctx) -> str:
    """Drop refresh-token bookkeeping (and blacklist rows) for tokens past their expiry."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    deleted, _ = OutstandingToken.objects.filter(expires_at__lt=ctx.as_of).delete()
    return f"{deleted} expired refresh-token rows removed"
