"""A real HTTP endpoint served locally for notification tests: Apprise's ``json://`` posts reach it.

``WebhookServer.answers`` maps a path to the status codes it answers, in turn (the last one repeats), so a
target can fail a few times and then accept, or fail always.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WebhookServer:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.answers: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with outer._lock:
                    outer.received.append({"path": self.path, "body": json.loads(body)})
                    codes = outer.answers.get(self.path, [200])
                    code = codes.pop(0) if len(codes) > 1 else codes[0]
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str) -> list[dict]:
        return [r["body"] for r in self.received if r["path"] == path]


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
