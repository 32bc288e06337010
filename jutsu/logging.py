"""Log formatting (``time | module | LEVEL | message`` or JSON), masking of credentials, and
escaping of control characters.

``MaskSecretsFilter`` is attached to every handler: it masks the password of any URL
(``postgresql://jutsu:****@host/db``) and the value of ``token=``/``password=``-style pairs and
bearer tokens, so no credential reaches a log line even if a caller formats one in by mistake.

Both formatters escape control characters (CR, LF, tab, the other C0 and C1 characters including
ESC, DEL, and the Unicode line/paragraph separators) in every message, whatever the logger and
however the message was built: a request path, user agent, username or header cannot start a
line of its own or drive the terminal. In the text format a record is exactly one line; only a
traceback continues it, on lines indented by two spaces — so a line that starts in the first
column is always the start of a genuine record. The JSON format stays one valid JSON object per line.
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
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTINUATION = "  "


def escape_control(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\r``, ``\\t``, ``\\x1b``, ``\\u2028``)."""
    return _CONTROL.sub(_escape_one, text)


def _escape_one(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _continuation(text: str) -> str:
    """A traceback or stack as continuation lines: each escaped and indented."""
    return "\n".join(_CONTINUATION + escape_control(line) for line in text.splitlines())


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
    """``2026-01-25 14:45:03,123 | module | LEVEL | message`` — one line per record, control characters escaped."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s | %(name)s | %(levelname)s | %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_control(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return _continuation(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _continuation(super().formatStack(stack_info))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO-8601), module, level, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "module": record.name,
            "level": record.levelname,
            "message": escape_control(record.getMessage()),
        }
        if record.exc_info:
            payload["exception"] = mask_secrets(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
