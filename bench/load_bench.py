"""Load benchmark: ``.venv/bin/python bench/load_bench.py [--users 20] [--seconds 60]``.

Seeds its own database (not timed): 25 years of daily bars for six symbols, 10 years × 3 strategies of
daily performance (seeded from real backtests of those bars) plus the baseline, and 5,000 trades. Then it
serves the platform the way the README's production notes say — one Daphne process per core on
``jutsu.asgi:application`` (``--servers``; users are spread over them as the proxy's round robin would),
PostgreSQL and Redis when both answer on localhost (a temporary database, dropped afterwards), else the
embedded SQLite default — and runs Locust headless in its own process (``bench/load/locustfile.py``):
``--users`` signed-in viewers for ``--seconds`` on the overview, performance and trades pages,
``/api/v2/daily-performance/history?days=3650`` and ``/api/trades``.

Prints requests/s, failures and p50/p95 per request name; targets on this 2-core machine: p95 ≤ 150 ms
for the pages, ≤ 50 ms for the API calls, no errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

from common import ROOT

HERE = Path(__file__).resolve().parent
PAGE_P95_MS, API_P95_MS = 150, 50
BAR_SYMBOLS = ("QQQ", "TQQQ", "PSQ", "TLT", "TMF", "TMV")
BARS_START, BARS_END = date(2001, 1, 2), date(2025, 12, 31)
HISTORY_START = date(2016, 1, 4)
STRATEGIES = ("v3_5b", "v3_5d", "sma_crossover")
TRADES = 5000
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_URL = "redis://127.0.0.1:6379/12"


def _services() -> tuple[str | None, str | None]:
    """A fresh PostgreSQL database URL and the Redis URL when both answer, else (None, None)."""
    try:
        import psycopg2
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        name = f"jutsu_load_{os.getpid()}"
        connection = psycopg2.connect(dbname="postgres", connect_timeout=3, **PG)
        connection.autocommit = True
        connection.cursor().execute(f'CREATE DATABASE "{name}"')
        connection.close()
    except Exception as exc:  # any failure means: measure the embedded default instead
        print(f"PostgreSQL + Redis not both available ({exc}); serving the embedded SQLite default")
        return None, None
    redis.Redis.from_url(REDIS_URL).flushdb()
    return f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{name}", REDIS_URL


def _drop(database_url: str) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", **PG)
    connection.autocommit = True
    connection.cursor().execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}" WITH (FORCE)')
    connection.close()


def _django(database_url: str | None, redis_url: str | None) -> dict[str, str]:
    """Point this process at the bench database, set Django up, migrate; returns the server's environment."""
    sys.path.insert(0, str(ROOT))
    data_dir = tempfile.mkdtemp(prefix="jutsu-load-bench-")
    env = {
        "JUTSU_DATA_DIR": data_dir,
        "DATABASE_URL": database_url or f"sqlite:///{data_dir}/bench.sqlite3",
        "JUTSU_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "jutsu.settings",
        "LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    os.environ.update(env)
    if not redis_url:
        os.environ.pop("REDIS_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return env


def _seed() -> dict[str, int]:
    """Bars, strategies, daily performance from backtests, trades. Returns row counts."""
    import io

    from django.core.management import call_command

    from performance.models import DailyPerformance
    from performance.services.backfill import daily_performance_seed_from_backtest
    from strategies.services.backtests import BacktestRequest, backtest_run_execute
    from strategies.services.registry import strategies_sync
    from trading.models import LiveTrade, MarketData

    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command(
        "generate_demo_data",
        start=BARS_START.isoformat(),
        end=BARS_END.isoformat(),
        symbols=",".join(BAR_SYMBOLS),
        **quiet,
    )
    strategies_sync()
    for strategy_id in STRATEGIES:
        run = backtest_run_execute(BacktestRequest(strategy_id, HISTORY_START, BARS_END))
        daily_performance_seed_from_backtest(run_id=run.pk, mode="paper")
    LiveTrade.objects.bulk_create(_trades(), batch_size=1000)
    return {
        "bars": MarketData.objects.count(),
        "daily performance rows": DailyPerformance.objects.count(),
        "trades": LiveTrade.objects.count(),
    }


def _trades() -> list:
    """5,000 paper trades over the ten years, round trips of the strategies' symbols."""
    from trading.models import LiveTrade

    rng = random.Random(7)
    days = [HISTORY_START.toordinal() + int(i * 3650 / TRADES) for i in range(TRADES)]
    rows = []
    for number, ordinal in enumerate(days):
        day = date.fromordinal(ordinal)
        price = Decimal(rng.uniform(20, 400)).quantize(Decimal("0.01"))
        quantity = Decimal(rng.randint(1, 200))
        selling = number % 2 == 1
        rows.append(
            LiveTrade(
                strategy_id=STRATEGIES[number % len(STRATEGIES)],
                mode="paper",
                symbol=BAR_SYMBOLS[number % 5],
                timestamp=datetime.combine(day, clock(20, 55), tzinfo=UTC),
                trading_date=day,
                action="SELL" if selling else "BUY",
                quantity=quantity,
                target_price=price,
                fill_price=price,
                fill_value=(price * quantity).quantize(Decimal("0.01")),
                slippage_pct=0.0,
                realized_pnl=Decimal(rng.uniform(-300, 400)).quantize(Decimal("0.01")) if selling else None,
                strategy_cell=rng.randint(1, 6),
                reason="Rebalance",
            )
        )
    return rows


def _credentials(count: int) -> list[dict[str, str]]:
    """``count`` viewers, each with a session (pages) and an access token (API)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.roles import Role
    from accounts.services.tokens import token_pair_issue

    credentials = []
    for number in range(count):
        user = get_user_model().objects.create_user(f"load-viewer-{number}", password=None, role=Role.VIEWER)
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        credentials.append({"session": session, "token": token_pair_issue(user=user)["access_token"]})
    return credentials


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "jutsu.asgi:application"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=(Path(env["JUTSU_DATA_DIR"]) / f"daphne-{port}.log").open("w"),  # where a 500's traceback goes
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"daphne exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status/health", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("daphne did not answer within 90 s")


def _locust(ports: list[int], credentials: list[dict], users: int, seconds: int, out: Path) -> Path:
    locust = Path(sys.executable).with_name("locust")
    command = [
        str(locust),
        "-f",
        str(HERE / "load" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{ports[0]}",
        "--csv",
        str(out / "load"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    servers = " ".join(f"http://127.0.0.1:{port}" for port in ports)
    env = {**os.environ, "LOAD_CREDENTIALS": json.dumps(credentials), "LOAD_SERVERS": servers}
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL)
    return out / "load_stats.csv"


def _report(stats_csv: Path, backend: str) -> int:
    rows = list(csv.DictReader(stats_csv.open()))
    failed = 0
    print(f"\nserved by {backend}")
    print(f"{'request':<44} {'count':>6} {'fail':>5} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7}  verdict")
    for row in rows:
        name = row["Name"]
        p95 = float(row["95%"] or 0)
        if name == "Aggregated":
            verdict = ""
        else:
            target = PAGE_P95_MS if name.startswith("page") else API_P95_MS
            ok = p95 <= target and int(row["Failure Count"]) == 0
            failed += not ok
            verdict = f"{'OK' if ok else 'SLOW/ERR'} (p95 ≤ {target} ms, 0 errors)"
        print(
            f"{name:<44} {row['Request Count']:>6} {row['Failure Count']:>5} {float(row['Requests/s']):>6.1f} "
            f"{float(row['50%'] or 0):>7.0f} {p95:>7.0f}  {verdict}"
        )
    failures = stats_csv.with_name("load_failures.csv")
    for row in csv.DictReader(failures.open()) if failures.is_file() else []:
        print(f"  failed {row['Occurrences']}× {row['Name']}: {row['Error'][:160]}")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--sqlite", action="store_true", help="serve the embedded SQLite default even with services")
    parser.add_argument(
        "--servers",
        type=int,
        default=os.cpu_count() or 1,
        help="Daphne processes (default: one per core)",
    )
    args = parser.parse_args()

    database_url, redis_url = (None, None) if args.sqlite else _services()
    try:
        env = _django(database_url, redis_url)
        started = time.perf_counter()
        counts = _seed()
        credentials = _credentials(args.users)
        print(f"seeded in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        from django.db import connections

        connections.close_all()
        ports = [_free_port() for _ in range(args.servers)]
        servers = [_serve(env, port) for port in ports]
        try:
            out = Path(tempfile.mkdtemp(prefix="jutsu-locust-"))
            print(f"{args.users} users for {args.seconds} s …", flush=True)
            stats = _locust(ports, credentials, args.users, args.seconds, out)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
        backend = "PostgreSQL + Redis" if database_url else "SQLite (embedded default)"
        _report(stats, f"{len(ports)} Daphne process(es) on {backend}")
    finally:
        if database_url:
            from django.db import connections

            connections.close_all()
            _drop(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
