"""Recording snapshots: equity only from refreshes, regime only from the trading job (ADR-04)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from jutsu.errors import InvalidParameter
from performance.models import PerformanceSnapshot
from performance.services.snapshots import performance_snapshot_record

pytestmark = pytest.mark.django_db

MONEY = {"total_equity": Decimal("10500.1234567"), "cash": Decimal("500"), "positions_value": Decimal("10000.1234567")}


def test_the_trading_job_records_equity_positions_and_regime():
    snapshot = performance_snapshot_record(
        strategy_id="v3_5b",
        mode="paper",
        source="trading_job",
        positions={"QQQ": {"qty": 25, "value": "10000.12"}},
        regime={"cell": 2, "trend_state": "BullStrong", "vol_state": "High", "t_norm": 0.3, "z_score": 1.2},
        **MONEY,
    )
    stored = PerformanceSnapshot.objects.get(pk=snapshot.pk)
    assert stored.total_equity == Decimal("10500.123457")  # six places
    assert (stored.strategy_cell, stored.trend_state, stored.vol_state) == (2, "BullStrong", "High")
    assert stored.timestamp.tzinfo is not None


def test_refreshes_may_not_write_the_regime_and_bad_input_is_refused():
    with pytest.raises(InvalidParameter, match="regime"):
        performance_snapshot_record(
            strategy_id="v3_5b", mode="paper", source="hourly_refresh", regime={"cell": 1}, **MONEY
        )
    with pytest.raises(InvalidParameter, match="mode"):
        performance_snapshot_record(strategy_id="v3_5b", mode="live", source="manual", **MONEY)
    with pytest.raises(InvalidParameter, match="source"):
        performance_snapshot_record(strategy_id="v3_5b", mode="paper", source="cron", **MONEY)
    with pytest.raises(InvalidParameter, match="timezone-aware"):
        performance_snapshot_record(
            strategy_id="v3_5b", mode="paper", source="manual", timestamp=datetime(2024, 1, 2, 16, 5), **MONEY
        )
    assert not PerformanceSnapshot.objects.exists()
