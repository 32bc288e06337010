"""Daily-performance benchmark: ``.venv/bin/python bench/eod_bench.py``.

Sets up its own temporary SQLite database (a fresh data directory, migrated), then times:

1. **Backfill** 10 years (2010-01-04 … 2019-12-31, ~2,500 trading days) for 3 strategies and their shared
   QQQ baseline from snapshots (two a day; one strategy misses a day a week and is marked to market) —
   target ≤ 5 s;
2. **One day's finalisation** (``eod_finalize_date``) for 10 strategies with history, each with a snapshot
   that day, plus the baseline — target ≤ 0.5 s; and the same date re-run (idempotent replace).

Closes are the real QQQ closes from ``../shared/data/market/QQQ.csv`` when present, else a seeded random walk.
Setting-up work (migrations, bulk inserts of bars and snapshots) is not timed. Query counts come from
Django's query capture and must not grow with days or strategies (no N+1).
"""

from __future__ import annotations

import sys
import time

from common import MARKET, django_setup, timed, verdict

django_setup("eod")

from datetime import UTC, date, datetime  # noqa: E402
from datetime import time as dtime  # noqa: E402
from decimal import Decimal  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from django.utils import timezone  # noqa: E402

from jutsu.scheduler import calendar  # noqa: E402
from performance.models import DailyPerformance, PerformanceSnapshot  # noqa: E402
from performance.services.backfill import daily_performance_backfill  # noqa: E402
from performance.services.eod import eod_finalize_date  # noqa: E402
from strategies.models import Strategy  # noqa: E402
from trading.models import MarketData  # noqa: E402

START, END = date(2010, 1, 4), date(2019, 12, 31)
TARGET_BACKFILL_S = 5.0
TARGET_DAY_S = 0.5


def closes_for(days: list[date]) -> dict[date, Decimal]:
    """Real QQQ closes when the shared data is there, else a seeded random walk (labelled in the output)."""
    path = MARKET / "QQQ.csv"
    if path.is_file():
        frame = pd.read_csv(path, parse_dates=["Date"], na_values="null").dropna(subset=["Close"])
        real = {d.date(): float(c) for d, c in zip(frame["Date"], frame["Close"], strict=True)}
        if all(d in real for d in days):
            print(f"closes: real QQQ ({path})")
            return {d: Decimal(repr(real[d])).quantize(Decimal("0.000001")) for d in days}
    print("closes: seeded random walk (shared data not found)")
    walk = 40 * np.cumprod(1 + np.random.default_rng(1).normal(0.0005, 0.012, len(days)))
    return {d: Decimal(repr(float(c))).quantize(Decimal("0.000001")) for d, c in zip(days, walk, strict=True)}


def store_bars(closes: dict[date, Decimal]) -> None:
    MarketData.objects.bulk_create(
        [
            MarketData(
                symbol="QQQ",
                timeframe="1D",
                timestamp=datetime.combine(d, dtime(0), tzinfo=UTC),
                open=c,
                high=c,
                low=c,
                close=c,
                volume=1,
                data_source="csv",
            )
            for d, c in closes.items()
        ],
        batch_size=2000,
    )


def make_strategies(count: int, offset: int = 0) -> list[str]:
    ids = []
    for n in range(offset, offset + count):
        sid = f"bench_{n:02d}"
        Strategy.objects.create(
            strategy_id=sid,
            display_name=sid,
            strategy_class="sma_crossover",
            config_file="-",
            execution_order=n,
            initial_capital=Decimal("10000"),
            baseline_symbol="QQQ",
            synced_at=timezone.now(),
        )
        ids.append(sid)
    return ids


def store_snapshots(ids: list[str], days: list[date], closes: dict[date, Decimal], *, skip_weekly: bool) -> int:
    """Two snapshots a day (an intraday refresh, then the close); with ``skip_weekly`` the first strategy
    has none on Wednesdays (marked to market by the finalisation)."""
    rows = []
    for k, sid in enumerate(ids):
        qty = Decimal(100 + 10 * k)
        for d in days:
            if skip_weekly and k == 0 and d.weekday() == 2:
                continue
            value = qty * closes[d]
            for hour, scale in ((11, Decimal("0.99")), (16, Decimal(1))):
                rows.append(
                    PerformanceSnapshot(
                        strategy_id=sid,
                        mode="paper",
                        source="hourly_refresh" if hour == 11 else "market_close",
                        timestamp=datetime.combine(d, dtime(hour, 5), tzinfo=calendar.NEW_YORK),
                        total_equity=Decimal(1000) + value * scale,
                        cash=Decimal(1000),
                        positions_value=value * scale,
                        positions={"QQQ": {"qty": int(qty), "value": str(value * scale)}},
                    )
                )
    PerformanceSnapshot.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def main() -> int:
    t_setup = time.perf_counter()
    days = calendar.trading_days(START, END)
    extra = calendar.trading_days(END, date(2020, 1, 31))[1:]  # days after the backfill, for the one-day run
    closes = closes_for(days + extra)
    store_bars(closes)
    three = make_strategies(3)
    count = store_snapshots(three, days, closes, skip_weekly=True)
    print(f"setup: {len(days)} trading days, {count} snapshots, {time.perf_counter() - t_setup:.1f} s (not timed)")

    run = timed(lambda: daily_performance_backfill(strategy_ids=three, mode="paper", start=START, end=END))
    assert not run.result.errors, run.result.errors[:3]
    rows = DailyPerformance.objects.count()
    print(
        f"1. backfill 10 years × 3 strategies + baseline: {run.seconds:.3f} s (CPU {run.cpu:.3f}), {rows} rows, "
        f"{run.queries} queries — {verdict(run.seconds, TARGET_BACKFILL_S)}"
    )

    # 10 strategies with history: the 3 above plus 7 more backfilled over the last two months.
    seven = make_strategies(7, offset=3)
    store_snapshots(seven, days[-40:], closes, skip_weekly=False)
    daily_performance_backfill(strategy_ids=seven, mode="paper", start=days[-40], end=END)
    day = extra[0]
    store_snapshots(three + seven, [day], closes, skip_weekly=False)
    run = timed(lambda: eod_finalize_date(day, trigger="bench"))
    status = run.result
    print(
        f"2. finalise {day} for 10 strategies + baseline: {run.seconds:.3f} s (CPU {run.cpu:.3f}), "
        f"{run.queries} queries, status {status.status} {status.strategies_processed}/{status.strategies_total} — "
        f"{verdict(run.seconds, TARGET_DAY_S)}"
    )
    run = timed(lambda: eod_finalize_date(day, trigger="bench"))
    print(
        f"   re-run of the same date (idempotent replace): {run.seconds:.3f} s, {run.queries} queries, "
        f"{run.result.status}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
