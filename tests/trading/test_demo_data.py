"""Synthetic demo data in the database: labelled, idempotent, never mixed with real bars."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from jutsu.errors import InvalidParameter
from trading.marketdata.importing import market_data_store_bars
from trading.marketdata.sync import market_data_generate_demo
from trading.models import AuditOperation, DataAuditLog, MarketData
from trading.selectors import market_data_frames
from trading.sources.base import RawBar
from trading.sources.synthetic import generate_synthetic_bars

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def generate(**kwargs):
    return market_data_generate_demo(now=NOW, **{"start": date(2020, 1, 2), "end": date(2020, 2, 28), **kwargs})


def test_stored_demo_bars_are_labelled_synthetic_and_match_the_generator():
    generate(symbols=["QQQ", "TQQQ"])
    assert set(MarketData.objects.values_list("data_source", flat=True)) == {"synthetic"}
    stored = market_data_frames(["TQQQ"], date(2020, 1, 2), date(2020, 2, 28))["TQQQ"]
    expected = generate_synthetic_bars(["TQQQ"], date(2020, 1, 2), date(2020, 2, 28), seed=42)["TQQQ"]
    assert list(stored.index) == list(expected.index)
    assert (abs(stored["close"] - expected["close"]) < 1e-6).all()
    audit = DataAuditLog.objects.filter(operation=AuditOperation.GENERATE).first()
    assert audit.details["seed"] == 42 and audit.details["anchor"] == "2020-01-02"


def test_a_later_end_appends_bars_that_join_the_stored_path():
    generate(symbols=["QQQ"])
    [result] = generate(symbols=["QQQ"], start=date(2020, 2, 3), end=date(2020, 3, 31))
    assert result.summary.inserted == 22 and result.summary.skipped_duplicate == 19
    stored = market_data_frames(["QQQ"], date(2020, 1, 2), date(2020, 3, 31))["QQQ"]
    expected = generate_synthetic_bars(["QQQ"], date(2020, 1, 2), date(2020, 3, 31), seed=42)["QQQ"]
    assert (abs(stored["close"] - expected["close"]) < 1e-6).all()


def test_a_symbol_with_real_bars_is_skipped():
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", now=NOW,
                           raw_bars=[RawBar("2020-01-02", "10", "11", "9", "10", "1")])  # fmt: skip
    [result] = generate(symbols=["QQQ"])
    assert result.summary is None and "already holds csv bars" in result.line()
    assert MarketData.objects.count() == 1


def test_an_earlier_start_or_another_seed_than_the_stored_path_is_skipped():
    generate(symbols=["QQQ"])
    [earlier] = generate(symbols=["QQQ"], start=date(2019, 6, 3))
    assert "would not join them" in earlier.skipped
    [reseeded] = generate(symbols=["QQQ"], seed=7)
    assert "--seed 42" in reseeded.skipped


def test_unknown_symbols_and_inverted_ranges_are_refused():
    with pytest.raises(InvalidParameter, match="no synthetic model for SPY"):
        generate(symbols=["SPY"])
    with pytest.raises(InvalidParameter, match="after --end"):
        generate(start=date(2021, 1, 1))
