"""The platform's exception base and the domain errors every app raises.

Each error carries a stable ``code`` and a human message. The DRF exception handler
(``jutsu.api.exception_handler``) turns them into ``{"detail": message, "code": code}`` with the
error's HTTP status; management commands print the message and exit non-zero.
"""

from __future__ import annotations


class JutsuError(Exception):
    """Base of every error the platform raises on purpose."""

    code = "error"
    status_code = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigError(JutsuError):
    """Invalid configuration: names the file (when there is one), the key and the reason."""

    code = "invalid_config"

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        prefix = ""
        if file:
            prefix = f"{file}: "
        if key and key not in message:
            prefix += f"{key}: "
        super().__init__(prefix + message)


class InvalidParameter(JutsuError):
    """A request or command argument is invalid."""

    code = "invalid_parameter"


class NotFound(JutsuError):
    """The requested object does not exist."""

    code = "not_found"
    status_code = 404


class PermissionDeniedError(JutsuError):
    """The caller lacks the permission for this action."""

    code = "permission_denied"
    status_code = 403


class ConflictError(JutsuError):
    """The action conflicts with the current state (duplicate, already running, already used)."""

    code = "conflict"
    status_code = 409


class DataMissing(JutsuError):
    """Market or performance data needed for the action is not available."""

    code = "data_missing"


class ServiceUnavailable(JutsuError):
    """An external service (broker, data vendor, database) cannot be reached right now."""

    code = "service_unavailable"
    status_code = 503
