"""Errors of the broker connection: every one says whether retrying later can help (``permanent``)."""

from __future__ import annotations

from trading.executors.base import ExecutionError

RELOGIN_HINT = "log in to Schwab again (POST /api/schwab/auth/initiate, then /api/schwab/auth/callback)"


class BrokerError(ExecutionError):
    """The broker could not be reached or refused a request. ``permanent``: retrying cannot help."""

    code = "broker_error"
    status_code = 503


class BrokerNotConnected(BrokerError):
    """No usable login: credentials missing, no token stored, the token expired or was refused."""

    code = "broker_not_connected"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class OrderRejected(BrokerError):
    """The broker refused an order (the message is the broker's reason)."""

    code = "order_rejected"
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)
