"""Schema-driven fuzzing of the whole REST API (Schemathesis): no answer is a 5xx, and every documented
answer matches the OpenAPI schema.

Every operation of ``/api/schema/`` is called with generated valid and invalid input, as an admin (the
caller who reaches the most code). The number of generated examples per operation is capped for the
suite (``FUZZ_EXAMPLES``, default 8); ``make fuzz`` runs the same test with many more.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from accounts.services.tokens import token_pair_issue
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
_real_connect = socket.socket.connect


def _loopback_only(sock: socket.socket, address) -> None:
    """Fuzzed calls must never reach Yahoo, Schwab or a webhook: only loopback connections pass."""
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
                raise ConnectionRefusedError(f"the fuzz run refuses outside connections ({host})")
        except (OSError, ValueError) as exc:
            raise ConnectionRefusedError(f"the fuzz run refuses outside connections ({host})") from exc
    _real_connect(sock, address)


def _schema() -> schemathesis.BaseSchema:
    """The project's OpenAPI document, served in-process by Django's WSGI handler."""
    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = WSGIHandler()
    return loaded


schema = _schema()


@pytest.fixture(autouse=True)
def in_process_calls(db, monkeypatch):
    """Requests run inside the test's transaction (like Django's test client, they do not close the test's
    database connection) and never leave the machine."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db) -> dict[str, str]:
    admin = AdminFactory(username="fuzz-admin")
    return {"Authorization": f"Bearer {token_pair_issue(user=admin)['access_token']}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_5xx_or_breaks_its_schema(case, admin_headers):
    response = case.call(headers=admin_headers)
    documented = case.operation.definition.raw.get("responses", {})
    # a documented 5xx is an answer, not a crash: /api/status/ready says 503 while a component is down
    server_error_documented = response.status_code >= 500 and str(response.status_code) in documented
    checks = (
        [response_schema_conformance] if server_error_documented else [not_a_server_error, response_schema_conformance]
    )
    case.validate_response(response, checks=checks)
