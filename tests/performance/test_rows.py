"""The fast row writer stores exactly what ``bulk_create`` stores, on both of its paths."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from performance.models import DailyPerformance
from performance.services.backfill import daily_performance_backfill
from performance.services.kpis import state_dict
from performance.services.rows import daily_rows_insert
from strategies.engine.kpi import kpi_update
from tests.performance.test_backfill import history_with_snapshots_and_marked_days
from tests.performance.test_eod import VALUE_FIELDS

pytestmark = pytest.mark.django_db


def stored() -> list[tuple]:
    rows = DailyPerformance.objects.order_by("entity_type", "entity_id", "mode", "trading_date")
    return [
        (
            r.pk,
            r.entity_type,
            r.entity_id,
            r.mode,
            r.trading_date,
            r.finalized_at,
            *(getattr(r, f) for f in VALUE_FIELDS),
        )
        for r in rows
    ]


@pytest.mark.parametrize("vendor", ["sqlite", "other"])
def test_fast_insert_stores_the_same_values_as_bulk_create(vendor, monkeypatch):
    history_with_snapshots_and_marked_days()
    daily_performance_backfill(end=date(2024, 5, 10))
    expected = stored()
    rows = list(DailyPerformance.objects.all())
    DailyPerformance.objects.all().delete()
    DailyPerformance.objects.bulk_create(rows)
    assert stored() == expected  # the baseline: Django's own path
    DailyPerformance.objects.all().delete()
    if vendor == "other":
        monkeypatch.setattr(connection, "vendor", "postgresql")  # multi-row VALUES batches
    half = len(rows) // 2
    for row in rows[:half]:
        row.pk = None  # inserted without a key …
    daily_rows_insert(rows)  # … and with one
    after = stored()
    assert [r[1:] for r in after] == [r[1:] for r in expected]
    assert {r[0] for r in after} >= {row.pk for row in rows[half:]}


def test_state_dict_equals_the_engines_to_dict():
    state, _ = kpi_update(None, date(2024, 1, 2), 100.0)
    state, _ = kpi_update(state, date(2024, 1, 3), 101.5, trades_closed=[3.0, -1.0], risk_free_rate=0.0)
    assert state_dict(state) == state.to_dict()
