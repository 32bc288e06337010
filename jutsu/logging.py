"""Log formatting (``time | module | LEVEL | message`` or JSON) and masking of credentials.

``MaskSecretsFilter`` is attached to every handler: it masks the password of any URL
(``postgresql://jutsu:****@host/db``) and the value of ``token=``/``password=``-style pairs and
bearer tokens, so no credential reaches a log line even if a caller formats one in by mistake.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from jutsu.conf.database import mask_url

_PAIRS = re.compile(
    r"(?i)\b(password|passwd|secret|token|access_token|refresh_token|api_key|otp)"
    r"(\s*[=:]\s*|\"\s*:\s*\")([^\s&\"',;]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-_.=]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def mask_secrets(text: str) -> str:
    """Mask URL passwords, ``key=value`` credentials, bearer tokens and JWTs in ``text``."""
    text = mask_url(text)
    text = _PAIRS.sub(lambda m: f"{m.group(1)}{m.group(2)}****", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}****", text)
    return _JWT.sub("****", text)


class MaskSecretsFilter(logging.Filter):
    """Rewrite each record's message (after %-formatting) with credentials masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging; keep the record as is
            return True
        masked = mask_secrets(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


class TextFormatter(logging.Formatter):
    """``2026-01-25 14:45:03,123 | module | LEVEL | message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s | %(name)s | %(levelname)s | %(message)s")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO-8601), module, level, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "module": record.name,
            "level": record.levelname,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = mask_secrets(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
