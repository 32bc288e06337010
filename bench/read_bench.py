"""Read-path benchmark: ``.venv/bin/python bench/read_bench.py``.

Sets up its own temporary SQLite database (not timed), then times the reads users wait for:

1. **Market data**: ten years of five symbols with 250 warm-up bars (what a v3.5b backtest loads) —
   target ≤ 0.3 s. Bars are the real ones from ``../shared/data/market`` when present, else synthetic.

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

from django.core.management import call_command  # noqa: E402

from trading.models import MarketData  # noqa: E402
from trading.selectors import market_data_frames  # noqa: E402
from trading.sources.synthetic import generate_synthetic_bars  # noqa: E402

SYMBOLS = ["QQQ", "TQQQ", "PSQ", "TLT", "TMF"]
TARGET_MARKET_DATA_S = 0.3


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


def main() -> int:
    source = store_bars()
    print(f"setup: {MarketData.objects.count()} bars ({source}), not timed")
    start, end = date(2011, 1, 3), date(2020, 12, 31)
    run = timed(lambda: market_data_frames(SYMBOLS, start, end, warmup_bars=250), repeat=5)
    bars = sum(len(frame) for frame in run.result.values())
    print(
        f"1. market data, 5 symbols × 10 years + 250 warm-up bars ({bars} bars): {run.describe()} — "
        f"{verdict(run.seconds, TARGET_MARKET_DATA_S)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
