"""The equity hook: trading reports equity, performance stores it as a snapshot (no trading → performance import)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from performance.models import PerformanceSnapshot
from trading import equity
from trading.equity import EquityObservation, equity_observe

pytestmark = pytest.mark.django_db

OBSERVATION = EquityObservation(
    strategy_id="v3_5b",
    mode="paper",
    source=equity.TRADING_JOB,
    timestamp=datetime(2020, 6, 30, 20, 0, tzinfo=UTC),
    total_equity=Decimal("10100.5"),
    cash=Decimal("100.5"),
    positions_value=Decimal("10000"),
    positions={"QQQ": {"qty": 40, "value": "10000"}},
    regime={"cell": 1, "trend_state": "BullStrong", "vol_state": "Low", "t_norm": 0.4, "z_score": -0.2},
)


def test_an_observation_becomes_a_performance_snapshot_with_its_regime():
    equity_observe(OBSERVATION)
    snapshot = PerformanceSnapshot.objects.get()
    assert (snapshot.source, snapshot.total_equity, snapshot.strategy_cell, snapshot.trend_state) == (
        "trading_job",
        Decimal("10100.5"),
        1,
        "BullStrong",
    )
    assert snapshot.positions == {"QQQ": {"qty": 40, "value": "10000"}}


def test_a_failing_listener_is_logged_and_does_not_fail_the_caller(settings, monkeypatch, caplog):
    settings.EQUITY_LISTENER_ERRORS_RAISE = False

    def broken(observation):
        raise RuntimeError("disk full")

    monkeypatch.setitem(equity._listeners, "tests.broken", broken)
    with caplog.at_level(logging.ERROR, logger="trading.equity"):
        equity_observe(OBSERVATION)
    assert "equity listener tests.broken failed for v3_5b/paper" in caplog.text
    assert PerformanceSnapshot.objects.count() == 1  # the other listener still ran


def test_in_tests_a_failing_listener_fails_loudly(monkeypatch):
    monkeypatch.setitem(equity._listeners, "tests.broken", lambda observation: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        equity_observe(OBSERVATION)


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="unknown equity source"):
        equity_observe(EquityObservation(**{**OBSERVATION.__dict__, "source": "somewhere"}))
