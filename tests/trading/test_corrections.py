"""Operator corrections: invalidate / re-validate bars and correct values, always audited."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jutsu.errors import InvalidParameter, NotFound
from trading.marketdata.corrections import market_data_correct_bar, market_data_set_validity
from trading.marketdata.importing import market_data_store_bars
from trading.models import AuditOperation, DataAuditLog, DataMetadata, MarketData
from trading.sources.base import RawBar

pytestmark = pytest.mark.django_db


@pytest.fixture
def bars():
    raw = [RawBar(f"2020-01-0{d}", "10", "11", "9", "10.5", "100") for d in (2, 3, 6)]
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=raw,
                           now=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    return list(MarketData.objects.order_by("timestamp"))


def test_marking_a_bar_invalid_keeps_it_audits_it_and_updates_coverage(bars, admin_user):
    changed = market_data_set_validity(bar_ids=[bars[2].pk], is_valid=False, reason="bad print", user=admin_user)
    assert changed == 1
    assert MarketData.objects.count() == 3 and not MarketData.objects.get(pk=bars[2].pk).is_valid
    audit = DataAuditLog.objects.get(operation=AuditOperation.FLAG)
    assert audit.user == admin_user and "marked invalid: bad print" in audit.message
    meta = DataMetadata.objects.get(symbol="QQQ")
    assert (meta.bar_count, meta.valid_bar_count, meta.last_bar_at.day) == (3, 2, 3)


def test_marking_an_already_invalid_bar_again_changes_and_audits_nothing(bars):
    market_data_set_validity(bar_ids=[bars[0].pk], is_valid=False, reason="x")
    assert market_data_set_validity(bar_ids=[bars[0].pk], is_valid=False, reason="x") == 0
    assert DataAuditLog.objects.filter(operation=AuditOperation.FLAG).count() == 1


def test_a_bar_can_be_marked_valid_again(bars):
    market_data_set_validity(bar_ids=[bars[0].pk], is_valid=False, reason="x")
    assert market_data_set_validity(bar_ids=[bars[0].pk], is_valid=True, reason="confirmed by Schwab") == 1
    assert MarketData.objects.get(pk=bars[0].pk).is_valid


def test_every_correction_needs_a_reason(bars):
    with pytest.raises(InvalidParameter, match="reason is required"):
        market_data_set_validity(bar_ids=[bars[0].pk], is_valid=False, reason=" ")


def test_correcting_a_bar_keeps_the_original_values_in_the_audit_log(bars, admin_user):
    bar = market_data_correct_bar(bar_id=bars[1].pk, close="10.75", high="11.2", reason="vendor fix", user=admin_user)
    assert (bar.close, bar.high) == (Decimal("10.750000"), Decimal("11.200000"))
    audit = DataAuditLog.objects.get(operation=AuditOperation.CORRECTION)
    assert audit.details["original"]["close"] == "10.500000" and audit.details["corrected"]["close"] == "10.750000"
    assert audit.bar_timestamp == bars[1].timestamp and audit.user == admin_user


def test_a_correction_that_breaks_ohlc_consistency_is_refused(bars):
    with pytest.raises(InvalidParameter, match="inconsistent"):
        market_data_correct_bar(bar_id=bars[0].pk, close="12", reason="typo")
    assert MarketData.objects.get(pk=bars[0].pk).close == Decimal("10.5")


def test_a_correction_with_a_bad_number_or_no_change_is_refused(bars):
    with pytest.raises(InvalidParameter, match="must be > 0"):
        market_data_correct_bar(bar_id=bars[0].pk, low="0", reason="x")
    with pytest.raises(InvalidParameter, match="changes nothing"):
        market_data_correct_bar(bar_id=bars[0].pk, close="10.5", reason="x")


def test_correcting_a_missing_bar_is_not_found():
    with pytest.raises(NotFound):
        market_data_correct_bar(bar_id=999, close="1", reason="x")


def test_the_database_refuses_an_inconsistent_bar_whatever_the_path(bars):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MarketData.objects.filter(pk=bars[0].pk).update(high=Decimal("1"))
