"""Cross-cutting HTTP behaviour: size limit, error shapes without leaks, client IP, headers."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LEAKS = ("Traceback", "SELECT", "no_such_table", "/etc/jutsu", ".py", "RuntimeError")


def test_body_over_the_limit_is_refused_with_413_json(settings):
    settings.MAX_REQUEST_SIZE = 1024
    response = Client().post("/api/auth/login", data="x" * 2048, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Request body too large")


def test_body_within_the_limit_passes_the_size_check(settings):
    settings.MAX_REQUEST_SIZE = 4096
    response = Client().post("/api/status/health", data="{}", content_type="application/json")
    assert response.status_code != 413


def test_unknown_api_path_is_json_404():
    response = Client().get("/api/no-such-endpoint-xyz")
    assert response.status_code == 404
    assert response.json() == {"detail": "Resource not found"}


def test_unknown_page_is_an_html_404():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


@pytest.mark.urls("tests.jutsu.urls_for_errors")
def test_page_500_is_generic_and_leaks_nothing(caplog):
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert not any(leak in body for leak in LEAKS)
    assert "secret detail" in caplog.text  # the server log keeps the full story


@pytest.mark.urls("tests.jutsu.urls_for_errors")
def test_api_500_is_generic_json_and_leaks_nothing(caplog):
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "server_error"}
    assert not any(leak in response.content.decode() for leak in LEAKS)
    assert "no_such_table" in caplog.text


@pytest.mark.urls("tests.jutsu.urls_for_errors")
def test_spoofed_proxy_headers_from_an_untrusted_peer_are_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client(REMOTE_ADDR="203.0.113.7")
    for header in ("HTTP_CF_CONNECTING_IP", "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_FOR"):
        response = client.get("/echo-ip/", **{header: "1.2.3.4"})
        assert response.json()["ip"] == "203.0.113.7", header


@pytest.mark.urls("tests.jutsu.urls_for_errors")
def test_proxy_headers_from_a_trusted_proxy_are_honoured_in_order(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client(REMOTE_ADDR="10.1.2.3")
    assert client.get("/echo-ip/", HTTP_X_FORWARDED_FOR="198.51.100.9, 10.1.2.3").json()["ip"] == "198.51.100.9"
    both = {"HTTP_X_REAL_IP": "198.51.100.20", "HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    assert client.get("/echo-ip/", **both).json()["ip"] == "198.51.100.20"
    cf = {"HTTP_CF_CONNECTING_IP": "198.51.100.30", **both}
    assert client.get("/echo-ip/", **cf).json()["ip"] == "198.51.100.30"
    assert client.get("/echo-ip/", HTTP_X_FORWARDED_FOR="not-an-ip").json()["ip"] == "10.1.2.3"


def test_security_headers_are_set():
    response = Client().get("/api/status/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_access_log_has_no_query_string(caplog):
    with caplog.at_level(logging.INFO, logger="jutsu.access"):
        Client().get("/api/status/health?token=eyJabc.def.ghi")
    lines = [r.getMessage() for r in caplog.records if r.name == "jutsu.access"]
    assert lines and "GET /api/status/health 200" in lines[-1]
    assert "token" not in lines[-1]


# --- chunked bodies (no Content-Length) at the ASGI boundary ---------------------------------------


def run_asgi(app, path: str, chunks: list[bytes]):
    from asgiref.sync import async_to_sync

    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []
    scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"transfer-encoding", b"chunked")]}

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async_to_sync(app)(scope, receive, send)
    return sent


def test_chunked_body_over_the_limit_gets_413_before_the_application_sees_it(settings):
    from jutsu.asgi_limits import BodySizeLimit

    settings.MAX_REQUEST_SIZE = 1024
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    sent = run_asgi(BodySizeLimit(app), "/api/auth/login", [b"x" * 600, b"x" * 600])
    assert reached == []
    assert sent[0]["status"] == 413
    assert sent[1]["body"].startswith(b'{"detail": "Request body too large')


def test_chunked_body_within_the_limit_is_replayed_whole(settings):
    from jutsu.asgi_limits import BodySizeLimit

    settings.MAX_REQUEST_SIZE = 4096
    seen = []
    lengths = []

    async def app(scope, receive, send):
        lengths.extend(v for k, v in scope["headers"] if k == b"content-length")
        while True:
            message = await receive()
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break

    run_asgi(BodySizeLimit(app), "/api/auth/login", [b"a" * 1000, b"b" * 1000])
    assert b"".join(seen) == b"a" * 1000 + b"b" * 1000
    assert lengths == [b"2000"]  # Django reads Content-Length bytes: the chunked body now has one


def test_options_with_format_csv_is_answered_not_turned_into_a_csv(admin_api, db):
    """An OPTIONS request carries no rows: ``format=csv`` must not make the CSV renderer read them (was a 500)."""
    response = admin_api.options("/api/optimizations/1?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.json()["name"]
