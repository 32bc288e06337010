"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings


def platform(request) -> dict:
    return {
        "JUTSU_ENV": settings.JUTSU.environment,
        "AUTH_REQUIRED": settings.AUTH_REQUIRED,
    }
