"""Data migrations of the performance app, run forwards and backwards on rows written by the old code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from performance.services.kpis import DayValues, EntityKey, row_build
from strategies.engine.analyzer import analyze_performance

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("performance", "0001_initial")]
AFTER = [("performance", "0002_returns_from_initial_capital")]
DAYS = [date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 9, 6)]
EQUITY = [9_987.76, 10_050.0, 9_900.0, 10_120.0, 11_300.0]


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    """Every test here moves the schema back; later tests in the process need the latest one."""
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _version_1_rows(apps) -> None:
    """Rows as the old code stored them: KPI state version 1, returns from the first day's equity."""
    DailyPerformance = apps.get_model("performance", "DailyPerformance")
    state = None
    for day, equity in zip(DAYS, EQUITY, strict=True):
        row, state = row_build(
            EntityKey("strategy", "a", "paper"), day, DayValues(equity, Decimal(0), Decimal(0)), state,
            risk_free_rate=0.0, baseline_symbol="QQQ", initial_capital=Decimal(str(EQUITY[0])),
            finalized_at=timezone.now(),
        )  # fmt: skip
        old = {k: v for k, v in row.kpi_state.items() if k != "capital"} | {"version": 1}
        values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname != "id"}
        DailyPerformance.objects.create(**{**values, "kpi_state": old, "initial_capital": Decimal("10000")})


def test_stored_rows_are_rebased_on_their_initial_capital_and_back():
    _migrate(BEFORE)
    apps = MigrationLoader(connection).project_state(BEFORE).apps
    _version_1_rows(apps)
    DailyPerformance = apps.get_model("performance", "DailyPerformance")
    before = list(DailyPerformance.objects.order_by("trading_date").values())
    assert before[0]["cumulative_return"] == 0.0

    _migrate(AFTER)
    from performance.models import DailyPerformance as Current

    rows = list(Current.objects.order_by("trading_date"))
    for n, row in enumerate(rows):
        metrics = analyze_performance(list(zip(DAYS[: n + 1], EQUITY[: n + 1], strict=True)), initial_capital=10_000)
        assert row.kpi_state["version"] == 2 and row.kpi_state["capital"] == 10_000.0
        assert row.cumulative_return == pytest.approx(metrics.total_return, rel=1e-12)
        assert row.cagr == (None if metrics.cagr is None else pytest.approx(metrics.cagr, rel=1e-12))
        assert row.calmar_ratio == (None if metrics.calmar is None else pytest.approx(metrics.calmar, rel=1e-12))
        assert row.daily_return == before[n]["daily_return"] and row.sharpe_ratio == before[n]["sharpe_ratio"]
    assert rows[0].cumulative_return == pytest.approx(EQUITY[0] / 10_000 - 1)

    _migrate(BEFORE)
    after_round_trip = list(DailyPerformance.objects.order_by("trading_date").values())
    for old, back in zip(before, after_round_trip, strict=True):
        assert back["kpi_state"] == old["kpi_state"]
        for name in ("cumulative_return", "cagr", "calmar_ratio"):
            assert back[name] == (None if old[name] is None else pytest.approx(old[name], rel=1e-12)), name
    _migrate(AFTER)


def test_an_installation_with_daily_performance_gets_a_data_version_and_an_empty_one_does_not():
    _migrate(AFTER)
    _migrate([("performance", "0003_data_version")])
    from performance.models import DAILY_PERFORMANCE_DATA, DataVersion

    assert not DataVersion.objects.exists()  # nothing to cache yet: the first service write creates it
    _migrate(AFTER)
    _version_1_rows(MigrationLoader(connection).project_state(AFTER).apps)
    _migrate([("performance", "0003_data_version")])
    assert len(DataVersion.objects.get(name=DAILY_PERFORMANCE_DATA).token) == 32
