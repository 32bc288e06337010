"""The after-close market-data sync job (runs before the EOD finalisation)."""

from __future__ import annotations

from datetime import date

import pytest

from jutsu.scheduler.runner import job_run, parse_as_of
from strategies.services.registry import strategies_sync
from trading.jobs import symbols_in_use
from trading.marketdata.sync import market_data_generate_demo
from trading.selectors import latest_bar_date

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(db):
    strategies_sync()


def test_symbols_in_use_are_the_active_strategies_symbols_and_baselines(registry):
    assert symbols_in_use() == ["QQQ", "TLT", "TMF", "TMV", "TQQQ"]  # PSQ only with the inverse hedge on


def test_the_job_waits_for_the_session_to_close(registry):
    run = job_run("market_data_sync", as_of=parse_as_of("2024-07-01T13:07:00"))
    assert run.status == "skipped" and "closes at 16:00" in run.message


def test_synthetic_demo_series_are_extended_to_the_closed_session(registry):
    market_data_generate_demo(
        symbols=["QQQ", "TQQQ", "PSQ", "TLT", "TMF", "TMV"], end=date(2024, 6, 28), now=parse_as_of("2024-06-28T18:00")
    )
    run = job_run("market_data_sync", as_of=parse_as_of("2024-07-01T16:07:00"))
    assert run.status == "success", run.message
    assert all(latest_bar_date(symbol) == date(2024, 7, 1) for symbol in symbols_in_use())


def test_half_days_sync_after_the_early_close(registry):
    market_data_generate_demo(
        symbols=["QQQ", "TQQQ", "PSQ", "TLT", "TMF", "TMV"], end=date(2024, 7, 2), now=parse_as_of("2024-07-02T18:00")
    )
    run = job_run("market_data_sync", as_of=parse_as_of("2024-07-03T13:07:00"))  # NYSE closed at 13:00
    assert run.status == "success", run.message
    assert latest_bar_date("QQQ") == date(2024, 7, 3)


def test_a_series_the_sources_cannot_serve_is_reported(registry, monkeypatch):
    from decimal import Decimal

    from trading.marketdata.importing import market_data_store_bars
    from trading.sources.base import RawBar

    market_data_generate_demo(
        symbols=["TQQQ", "PSQ", "TLT", "TMF", "TMV"], end=date(2024, 6, 28), now=parse_as_of("2024-06-28T18:00")
    )
    bar = RawBar(
        timestamp="2024-06-28",
        open=Decimal("480"),
        high=Decimal("482"),
        low=Decimal("478"),
        close=Decimal("481"),
        volume=1000,
    )
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=[bar], operation="import")
    # Keep the test offline: the "real" sources for QQQ are the synthetic generator, which never mixes series.
    monkeypatch.setenv("DATA_PRIMARY_SOURCE", "synthetic")
    monkeypatch.setenv("DATA_FALLBACK_SOURCE", "synthetic")
    run = job_run("market_data_sync", as_of=parse_as_of("2024-07-01T16:07:00"))
    assert run.status == "partial"
    assert "QQQ" in run.error and "4 of 5 symbol(s) synced" in run.message
