"""Live-event fan-out benchmark: ``.venv/bin/python bench/ws_fanout_bench.py [--clients 100] [--rounds 20]``.

Served the way the README's production notes say: Daphne on ``jutsu.asgi:application`` with the Redis
channel layer (``REDIS_URL``, default ``redis://127.0.0.1:6379/13``; without Redis the bench says so and
stops). ``--clients`` viewers open ``/ws/`` with an access token and wait for the ``hello`` that follows
their subscription; then, ``--rounds`` times, one ``data_refresh`` event is sent to the dashboard group
from this process (as a worker's job would) and the time until the **last** client has it is recorded.

Target: one event reaches 100 connected clients in ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from common import ROOT, django_setup

TARGET_S = 0.1
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _wait_until_serving(base: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/status/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"daphne did not answer within {timeout:.0f} s")


async def _arrival(connection, number: int) -> float:
    """When ``connection`` receives the event of round ``number`` (earlier messages are skipped)."""
    while True:
        message = json.loads(await connection.recv())
        if message.get("n") == number:
            return time.perf_counter()


async def _fan_out(port: int, token: str, clients: int, rounds: int) -> list[float]:
    import websockets
    from channels.layers import get_channel_layer

    from jutsu.events import DASHBOARD_GROUP, build_event

    url = f"ws://127.0.0.1:{port}/ws/?token={token}"
    sockets = []
    for _ in range(clients):
        connection = await websockets.connect(url, max_queue=None, open_timeout=30)
        hello = await asyncio.wait_for(connection.recv(), 30)
        if '"hello"' not in hello:
            raise SystemExit(f"the socket did not subscribe: {hello[:200]}")
        sockets.append(connection)

    layer = get_channel_layer()
    latencies = []
    for number in range(rounds):
        event = build_event("data_refresh", {"refresh_type": "manual", "strategies": [], "date": None, "n": number})
        waiting = [asyncio.create_task(_arrival(connection, number)) for connection in sockets]
        await asyncio.sleep(0.05)  # every reader is waiting before the event leaves
        sent = time.perf_counter()
        await layer.group_send(DASHBOARD_GROUP, {"type": "live.event", "event": event})
        arrivals = await asyncio.wait_for(asyncio.gather(*waiting), 30)
        latencies.append(max(arrivals) - sent)
    for connection in sockets:
        await connection.close()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    if not _redis_answers(redis_url):
        print(f"skipped: Redis does not answer at {redis_url} (the production channel layer this bench measures)")
        return 0
    os.environ["REDIS_URL"] = redis_url
    data_dir = django_setup("ws")

    from django.contrib.auth import get_user_model

    from accounts.roles import Role
    from accounts.services.tokens import token_pair_issue

    viewer = get_user_model().objects.create_user("fanout-viewer", password=None, role=Role.VIEWER)
    token = token_pair_issue(user=viewer)["access_token"]

    port = _free_port()
    env = {**os.environ, "JUTSU_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "jutsu.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}", daphne)
        latencies = asyncio.run(_fan_out(port, token, args.clients, args.rounds))
    finally:
        daphne.terminate()
        daphne.wait(timeout=30)

    median, worst = statistics.median(latencies), max(latencies)
    verdict = "OK" if median <= TARGET_S else "SLOW"
    print(
        f"one event to {args.clients} WebSocket clients (Daphne + Redis channel layer), {args.rounds} rounds: "
        f"median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms to the last client — {verdict} "
        f"(target ≤ {TARGET_S * 1000:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
