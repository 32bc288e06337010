"""Read-path benchmark: ``.venv/bin/python bench/read_bench.py``.

Sets up its own temporary SQLite database (not timed), then times the reads users wait for:

1. **Market data**: ten years of five symbols with 250 warm-up bars (what a v3.5b backtest loads) —
   target ≤ 0.3 s. Bars are the real ones from ``../shared/data/market`` when present, else synthetic.
2. **Latest performance** on the demo's daily performance (its synthetic bars from 2014 on, a backtest of each
   active strategy seeded into ``paper``: ~9,000 rows, ~3,000 days per entity), the read behind
   ``GET /api/v2/daily-performance`` and the overview's cards: before (the former windowed query, which ranks
   every row of the history — kept here as the reference), computed (nothing cached yet for the data
   version: per-strategy index range scans) and cached (the same version again) — target ≤ 5 ms computed;
   then whole requests through Django (API and overview, computed and cached) next to the framework's floor
   (``/api/status/health``).

Each case prints its median time over several runs, the first (cold) run and its number of queries; the
query counts are asserted in the test suite, the seconds only here.
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

from common import MARKET, django_setup, timed, verdict

django_setup("read")

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import F, Window  # noqa: E402
from django.db.models.functions import RowNumber  # noqa: E402
from django.test import Client  # noqa: E402

from performance.models import DailyPerformance, EntityType  # noqa: E402
from performance.selectors import daily_performance_recent, overview_strategies  # noqa: E402
from performance.services.backfill import daily_performance_seed_from_backtest  # noqa: E402
from performance.services.data_version import data_version_bump  # noqa: E402
from performance.services.demo import demo_history_load  # noqa: E402
from strategies.selectors import strategies_list  # noqa: E402
from strategies.services.registry import strategies_sync  # noqa: E402
from trading.marketdata.sync import DEMO_SYMBOLS, market_data_generate_demo, market_data_remove_synthetic  # noqa: E402
from trading.models import MarketData  # noqa: E402
from trading.selectors import market_data_frames  # noqa: E402
from trading.sources.synthetic import generate_synthetic_bars  # noqa: E402

SYMBOLS = ["QQQ", "TQQQ", "PSQ", "TLT", "TMF"]
TARGET_MARKET_DATA_S = 0.3
TARGET_LATEST_S = 0.005


def store_bars() -> str:
    """Import the real bars of the shared data (the platform's own import) when all five are there, else
    store synthetic ones. Returns where they came from."""
    paths = [MARKET / f"{s}.csv" for s in SYMBOLS]
    if all(path.is_file() for path in paths):
        call_command("import_market_data", *map(str, paths), verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
        return f"real ({MARKET})"
    rows = []
    for symbol, frame in generate_synthetic_bars(SYMBOLS, date(2008, 1, 2), date(2020, 12, 31), seed=3).items():
        for day, o, h, lo, c, v in frame.itertuples(name=None):
            rows.append(
                MarketData(
                    symbol=symbol,
                    timestamp=datetime(day.year, day.month, day.day, tzinfo=UTC),
                    open=Decimal(f"{o:.6f}"),
                    high=Decimal(f"{h:.6f}"),
                    low=Decimal(f"{lo:.6f}"),
                    close=Decimal(f"{c:.6f}"),
                    volume=int(v),
                    data_source="synthetic",
                )
            )
    MarketData.objects.bulk_create(rows, batch_size=5000)
    return "synthetic"


def demo_history() -> int:
    """The demo's daily performance (see the module docstring); its synthetic bars are removed afterwards so
    the market-data case reads the real ones. Returns the number of daily-performance rows."""
    market_data_generate_demo()
    strategies_sync()
    for strategy in strategies_list(active_only=True):
        run = demo_history_load(strategy).run
        daily_performance_seed_from_backtest(run_id=run.pk, mode="paper")
    market_data_remove_synthetic(symbols=DEMO_SYMBOLS)
    return DailyPerformance.objects.count()


def latest_by_window(ids: list[str], mode: str) -> dict[str, DailyPerformance]:
    """The read before the fix: every row of the strategies ranked by a window function, newest kept."""
    rows = (
        DailyPerformance.objects.filter(entity_type=EntityType.STRATEGY, entity_id__in=ids, mode=mode)
        .annotate(recent_rank=Window(RowNumber(), partition_by=[F("entity_id")], order_by=F("trading_date").desc()))
        .filter(recent_rank__lte=1)
    )
    return {row.entity_id: row for row in rows}


def latest_cases() -> None:
    ids = [s.strategy_id for s in overview_strategies()]

    data_version_bump()  # as after the demo's last write

    def computed() -> object:
        cache.clear()  # as after a job's write (a new version): nothing cached for it yet
        return daily_performance_recent(ids, "paper")

    before = timed(lambda: latest_by_window(ids, "paper"), repeat=20)
    fresh = timed(computed, repeat=20)
    cached = timed(lambda: daily_performance_recent(ids, "paper"), repeat=50)
    assert {k: v.latest.pk for k, v in fresh.result.items()} == {k: v.pk for k, v in before.result.items()}
    print(f"2a. latest row of {len(ids)} strategies, before (windowed over the history): {before.describe()}")
    ok = verdict(fresh.seconds, TARGET_LATEST_S)
    print(f"2b. … computed (nothing cached for this version): {fresh.describe()} — {ok}")
    print(f"2c. … cached (same version): {cached.describe()}")

    user = get_user_model().objects.create_user(username="bench-viewer", password="bench-pw-1234567")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    def get(path: str, *, fresh: bool = False):
        if fresh:
            cache.clear()
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    floor = timed(lambda: get("/api/status/health"), repeat=30)
    print(f"2d. GET /api/status/health (the floor): {floor.describe()}")
    for label, path in (("GET /api/v2/daily-performance", "/api/v2/daily-performance"), ("GET / (overview)", "/")):
        fresh = timed(lambda path=path: get(path, fresh=True), repeat=20)
        cached = timed(lambda path=path: get(path), repeat=30)
        print(f"    {label}: computed {fresh.describe()}; cached {cached.describe()}")


def main() -> int:
    rows = demo_history()
    print(f"setup: {rows} daily-performance rows (demo: synthetic bars, backtests seeded into paper), not timed")
    source = store_bars()
    print(f"setup: {MarketData.objects.count()} bars ({source}), not timed")
    start, end = date(2011, 1, 3), date(2020, 12, 31)
    run = timed(lambda: market_data_frames(SYMBOLS, start, end, warmup_bars=250), repeat=5)
    bars = sum(len(frame) for frame in run.result.values())
    print(
        f"1. market data, 5 symbols × 10 years + 250 warm-up bars ({bars} bars): {run.describe()} — "
        f"{verdict(run.seconds, TARGET_MARKET_DATA_S)}"
    )
    latest_cases()
    return 0


if __name__ == "__main__":
    sys.exit(main())
