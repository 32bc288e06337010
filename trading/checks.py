"""System checks for the trading settings."""

from __future__ import annotations

from django.core import checks


@checks.register()
def check_notify_urls(app_configs, **kwargs):
    """Every ``NOTIFY_URLS`` entry must be an Apprise URL (a typo would silently drop notifications)."""
    from trading.delivery import notify_targets_invalid

    try:
        invalid = notify_targets_invalid()
    except FileNotFoundError as exc:  # NOTIFY_URLS_FILE names a missing file
        return [checks.Error(str(exc), id="trading.E001")]
    return [
        checks.Error(
            f"NOTIFY_URLS entry {position} is not a URL Apprise understands",
            hint="Use Apprise URLs such as slack://…, discord://…, json://host:port/path, separated by commas.",
            id="trading.E002",
        )
        for position in invalid
    ]
