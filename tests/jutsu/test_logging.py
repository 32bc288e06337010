"""Log format and credential masking."""

from __future__ import annotations

import json
import logging

from jutsu.logging import JsonFormatter, MaskSecretsFilter, TextFormatter, mask_secrets


def make_record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("trading.jobs", logging.INFO, __file__, 1, message, args, None)


def test_text_format_is_time_module_level_message():
    line = TextFormatter().format(make_record("hello %s", "world"))
    parts = line.split(" | ")
    assert parts[1:] == ["trading.jobs", "INFO", "hello world"]
    assert len(parts[0]) == len("2026-01-25 14:45:03,123")


def test_json_format_is_one_object_per_line():
    payload = json.loads(JsonFormatter().format(make_record("hello")))
    assert payload["module"] == "trading.jobs" and payload["level"] == "INFO" and payload["message"] == "hello"
    assert payload["time"].endswith("+00:00")


def test_filter_masks_urls_tokens_and_passwords_in_arguments():
    record = make_record("connecting to %s with password=%s", "postgresql://jutsu:hunter2@db:5432/x", "hunter2")
    MaskSecretsFilter().filter(record)
    message = record.getMessage()
    assert "hunter2" not in message
    assert "postgresql://jutsu:****@db:5432/x" in message


def test_bearer_tokens_and_jwts_are_masked():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    text = mask_secrets(f"Authorization: Bearer abc.def.ghi then {jwt}")
    assert "abc.def.ghi" not in text and jwt not in text
