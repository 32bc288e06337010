"""Market-data freshness in the readiness report (informational)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from trading.marketdata.importing import market_data_store_bars
from trading.selectors import market_data_freshness

pytestmark = pytest.mark.django_db

# Friday 2020-07-02 was the last session before the Independence Day holiday.
AFTER_CLOSE = datetime(2020, 7, 6, 23, 0, tzinfo=UTC)  # Monday evening, New York


def store(day: date) -> None:
    from trading.sources.base import RawBar

    bar = RawBar(
        timestamp=day.isoformat(),
        open=Decimal("10"),
        high=Decimal("11"),
        low=Decimal("9"),
        close=Decimal("10.5"),
        volume=1000,
    )
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=[bar], operation="import")


def test_no_bars_is_not_fresh():
    result = market_data_freshness(now=AFTER_CLOSE)
    assert result["ok"] is False and result["last_bar"] is None and result["expected"] == "2020-07-06"


def test_lag_is_counted_in_calendar_days_against_the_last_session():
    store(date(2020, 7, 2))
    result = market_data_freshness(now=AFTER_CLOSE)
    assert result["lag_days"] == 4 and result["ok"] is True  # within the default 4 days
    assert market_data_freshness(now=datetime(2020, 7, 8, 23, 0, tzinfo=UTC))["ok"] is False


def test_ready_reports_freshness_without_failing_on_it(anon_api):
    body = anon_api.get("/api/status/ready").json()
    assert body["checks"]["market_data"]["ok"] is False
    assert "market_data" not in body.get("detail", "")
