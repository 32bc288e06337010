"""Locust users of ``bench/load_bench.py`` (run by it as a separate ``locust --headless`` process).

Each simulated viewer holds a signed-in session (pages) and an access token (API), both prepared by the
bench and passed in ``LOAD_CREDENTIALS`` (JSON list of ``{"session": …, "token": …}``), so the run measures
the pages and APIs rather than the sign-in rate limits. Requests are named by group so the bench can
report pages and API calls apart.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import HttpUser, between, task

_CREDENTIALS = itertools.cycle(json.loads(os.environ["LOAD_CREDENTIALS"]))
# one Daphne process per core behind the proxy's round robin: each user keeps to one of them
_SERVERS = itertools.cycle(os.environ.get("LOAD_SERVERS", "").split() or [None])
SESSION_COOKIE = os.environ.get("LOAD_SESSION_COOKIE", "sessionid")


class Viewer(HttpUser):
    """A trader with the dashboard open: pages now and then, the API more often."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        credentials = next(_CREDENTIALS)
        server = next(_SERVERS)
        if server:
            self.client.base_url = server
        self.client.cookies.set(SESSION_COOKIE, credentials["session"])
        self.api_headers = {"Authorization": f"Bearer {credentials['token']}"}

    def _page(self, path: str, name: str) -> None:
        with self.client.get(path, name=f"page {name}", catch_response=True) as response:
            if response.status_code != 200 or "/accounts/login/" in response.url:
                response.failure(f"{path}: {response.status_code} at {response.url}")

    @task(2)
    def overview(self) -> None:
        self._page("/", "overview")

    @task(2)
    def performance(self) -> None:
        self._page("/performance/", "performance")

    @task(2)
    def trades(self) -> None:
        self._page("/trades/", "trades")

    @task(3)
    def history(self) -> None:
        self.client.get(
            "/api/v2/daily-performance/history?strategy_id=v3_5b&days=3650",
            headers=self.api_headers,
            name="api daily-performance/history?days=3650",
        )

    @task(3)
    def trades_api(self) -> None:
        self.client.get("/api/trades", headers=self.api_headers, name="api trades")
