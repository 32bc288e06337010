"""The security log: a ``SecurityEvent`` row and a structured JSON log line per event.

Call ``security_event_record`` from any app; it never raises into the caller's flow for logging
problems, and it strips anything that looks like a credential from ``details``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.utils import timezone

from jutsu.client_ip import client_ip
from jutsu.models import SecurityEvent, SecurityEventType, Severity

logger = logging.getLogger("jutsu.security")

DEFAULT_SEVERITY: dict[str, str] = {
    SecurityEventType.LOGIN_SUCCESS: Severity.LOW,
    SecurityEventType.LOGIN_FAILURE: Severity.MEDIUM,
    SecurityEventType.LOGOUT: Severity.LOW,
    SecurityEventType.ACCOUNT_LOCKED: Severity.HIGH,
    SecurityEventType.TOKEN_CREATED: Severity.LOW,
    SecurityEventType.TOKEN_REFRESHED: Severity.LOW,
    SecurityEventType.TOKEN_INVALID: Severity.MEDIUM,
    SecurityEventType.OAUTH_INITIATED: Severity.MEDIUM,
    SecurityEventType.OAUTH_COMPLETED: Severity.MEDIUM,
    SecurityEventType.OAUTH_FAILED: Severity.HIGH,
    SecurityEventType.OAUTH_TOKEN_DELETED: Severity.HIGH,
    SecurityEventType.ACCESS_DENIED: Severity.MEDIUM,
    SecurityEventType.RATE_LIMITED: Severity.MEDIUM,
    SecurityEventType.SUSPICIOUS_ACTIVITY: Severity.HIGH,
    SecurityEventType.TWO_FA_ENABLED: Severity.MEDIUM,
    SecurityEventType.TWO_FA_DISABLED: Severity.HIGH,
    SecurityEventType.TWO_FA_SUCCESS: Severity.LOW,
    SecurityEventType.TWO_FA_FAILURE: Severity.MEDIUM,
    SecurityEventType.PASSKEY_REGISTERED: Severity.MEDIUM,
    SecurityEventType.PASSKEY_AUTHENTICATED: Severity.LOW,
    SecurityEventType.PASSKEY_AUTH_FAILED: Severity.MEDIUM,
    SecurityEventType.PASSKEY_REVOKED: Severity.MEDIUM,
    SecurityEventType.USER_INVITED: Severity.MEDIUM,
    SecurityEventType.INVITATION_ACCEPTED: Severity.MEDIUM,
    SecurityEventType.ROLE_CHANGED: Severity.HIGH,
    SecurityEventType.CONFIG_OVERRIDE_CHANGED: Severity.MEDIUM,
    SecurityEventType.MODE_CHANGED: Severity.HIGH,
}

_SENSITIVE = ("password", "secret", "token", "code", "otp", "key", "credential", "signature", "seed")


def _scrub(details: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if any(word in key.lower() for word in _SENSITIVE) and not key.lower().endswith(("_id", "_count", "_type")):
            clean[key] = "[redacted]"
        elif isinstance(value, dict):
            clean[key] = _scrub(value)
        else:
            clean[key] = value
    return clean


def security_event_record(
    event_type: str,
    *,
    severity: str | None = None,
    user=None,
    username: str = "",
    request=None,
    details: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Write one security event (row + JSON log line) and return the row."""
    event_type = SecurityEventType(event_type)
    severity = Severity(severity or DEFAULT_SEVERITY[event_type])
    if user is not None and getattr(user, "is_authenticated", False):
        username = username or user.get_username()
    else:
        user = None
    ip = client_ip(request) if request is not None else None
    agent = (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:500]
    clean = _scrub(details or {})
    event = SecurityEvent.objects.create(
        event_type=event_type,
        severity=severity,
        user=user,
        username=username[:150],
        client_ip=ip,
        user_agent=agent,
        details=clean,
        created_at=timezone.now(),
    )
    line = {
        "event": event_type.value,
        "severity": severity.value,
        "username": username or None,
        "client_ip": ip,
        "user_agent": agent or None,
        "details": clean,
        "at": event.created_at.isoformat(),
    }
    level = logging.WARNING if severity in (Severity.HIGH, Severity.CRITICAL) else logging.INFO
    logger.log(level, json.dumps(line, default=str, sort_keys=True))
    return event
