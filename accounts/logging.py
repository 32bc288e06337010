"""A log filter that masks secrets carried in URL paths (invitation tokens).

Added to the console handler next to ``jutsu.logging.MaskSecretsFilter`` (settings, accounts block):
``/api/invitations/<token>`` and ``/accounts/invitations/<token>/`` are logged with ``****``.
"""

from __future__ import annotations

import logging
import re

_INVITATION_PATH = re.compile(r"(/invitations/)[A-Za-z0-9_\-]{16,}")


def mask_auth_paths(text: str) -> str:
    return _INVITATION_PATH.sub(r"\1****", text)


class MaskAuthPathsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            return True
        masked = mask_auth_paths(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
