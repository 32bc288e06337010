"""Access to the shared real market data (``../shared/data/market``) for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_MARKET = ROOT.parent / "shared" / "data" / "market"


def shared_market_dir() -> Path:
    """The folder of real daily bars; skips the calling test when it is not there."""
    if not (SHARED_MARKET / "QQQ.csv").is_file():
        pytest.skip(f"real market data not found at {SHARED_MARKET} (see ../shared/data/README.md)")
    return SHARED_MARKET
