"""The latest-performance read (``GET /api/v2/daily-performance``, the overview's cards) costs O(strategies), not
O(history), and is cached per data version until a job writes rows.

"Cost" is measured as the database's own work, not seconds: on SQLite the virtual-machine instructions the
statements execute (a progress handler called on every one), on PostgreSQL the rows the plan nodes produce and
discard (``EXPLAIN ANALYZE``). A read that scans the history grows with it; index range scans do not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from performance import selectors
from performance.models import DailyPerformance, EntityType
from performance.services.data_version import data_version_bump
from performance.services.eod import eod_finalize_date
from strategies.models import Strategy
from tests.performance.helpers import bars_store, snapshot_make
from tests.performance.pages_seed import daily_performance_create, strategy_create

pytestmark = pytest.mark.django_db

STRATEGIES = ("a", "b", "c")


def history(days: int, *, modes=("paper", "dry_run")) -> None:
    """Three active strategies and their baseline with ``days`` rows each, in two modes (replacing any rows)."""
    for n, sid in enumerate(STRATEGIES):
        if not Strategy.objects.filter(strategy_id=sid).exists():
            strategy_create(sid, order=n + 1, primary=n == 0)
    DailyPerformance.objects.all().delete()
    for mode in modes:
        for n, sid in enumerate(STRATEGIES):
            daily_performance_create(sid, mode=mode, days=days, start=date(2019, 1, 2), phase=n / 3)
        daily_performance_create("QQQ", entity_type=EntityType.BASELINE, mode=mode, days=days, start=date(2019, 1, 2))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum keeps them in production
            cursor.execute(f"ANALYZE {DailyPerformance._meta.db_table}")


def _pg_rows_touched(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def walk(node) -> int:
        own = node.get("Actual Rows", 0) * node.get("Actual Loops", 1) + node.get("Rows Removed by Filter", 0)
        return own + sum(walk(child) for child in node.get("Plans", []))

    return walk(plan[0]["Plan"])


def database_work(read: Callable[[], object]) -> tuple[int, int]:
    """``(queries, work)`` of ``read()``: see the module docstring for what work counts."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        steps = 0

        def step() -> int:
            nonlocal steps
            steps += 1
            return 0

        connection.connection.set_progress_handler(step, 1)
        try:
            with CaptureQueriesContext(connection) as ctx:
                read()
        finally:
            connection.connection.set_progress_handler(None, 1)
        return len(ctx.captured_queries), steps
    with CaptureQueriesContext(connection) as ctx:
        read()
    statements = [(q["sql"], None) for q in ctx.captured_queries]
    work = sum(_pg_rows_touched(sql, params) for sql, params in statements if "dailyperformance" in sql)
    return len(statements), work


def latest_api(client) -> dict:
    response = client.get("/api/v2/daily-performance", {"mode": "paper"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("points", [1, 5])
def test_the_latest_read_costs_the_same_with_10_and_1000_days_of_history(points):
    history(10)
    queries_small, work_small = database_work(lambda: selectors.daily_performance_overview("paper", points=points))
    history(1000)
    queries_big, work_big = database_work(lambda: selectors.daily_performance_overview("paper", points=points))
    assert queries_big == queries_small <= 4
    # index range scans: the same work whatever the history (a scan of it would be ~100 times more)
    assert work_big <= work_small * 1.2 + 50, (work_small, work_big)


def test_the_latest_api_answers_from_the_newest_rows_in_a_fixed_number_of_queries(viewer_api):
    history(10)
    data_version_bump()
    small = database_work(lambda: latest_api(viewer_api))[0]
    for n, sid in enumerate(("d", "e")):
        strategy_create(sid, order=10 + n)
        daily_performance_create(sid, days=1000, start=date(2016, 1, 4))
    data_version_bump()
    queries, _ = database_work(lambda: latest_api(viewer_api))
    assert queries == small
    body = latest_api(viewer_api)
    by_id = {item["strategy_id"]: item["latest"] for item in body["strategies"]}
    for sid in ("a", "d"):
        newest = DailyPerformance.objects.filter(entity_id=sid, mode="paper").order_by("-trading_date").first()
        assert by_id[sid]["trading_date"] == newest.trading_date.isoformat()
        assert Decimal(by_id[sid]["total_equity"]) == newest.total_equity
    assert "kpi_state" not in by_id["a"]


def test_the_overview_sparkline_holds_the_last_points_of_each_strategy_oldest_first():
    history(100)
    recent = selectors.daily_performance_recent(STRATEGIES, "paper", points=60)
    for sid in STRATEGIES:
        rows = list(DailyPerformance.objects.filter(entity_id=sid, mode="paper").order_by("trading_date"))
        assert recent[sid].sparkline == [(r.trading_date, r.total_equity) for r in rows[-60:]]
        assert recent[sid].latest.pk == rows[-1].pk
    assert selectors.daily_performance_recent(["nobody"], "paper") == {}


def test_a_cached_read_is_one_query_and_a_direct_write_is_not_seen_until_the_version_changes():
    history(20)
    data_version_bump()
    first = selectors.daily_performance_recent(STRATEGIES, "paper")
    queries, _ = database_work(lambda: selectors.daily_performance_recent(STRATEGIES, "paper"))
    assert queries == 1  # the data version only
    DailyPerformance.objects.filter(pk=first["a"].latest.pk).update(total_equity=Decimal("1.5"))
    assert selectors.daily_performance_recent(STRATEGIES, "paper")["a"].latest.total_equity != Decimal("1.5")
    data_version_bump()
    assert selectors.daily_performance_recent(STRATEGIES, "paper")["a"].latest.total_equity == Decimal("1.5")


def test_the_eod_job_refreshes_the_cached_latest_read(viewer_api, viewer_client):
    """Pages and API show a new day the moment the job that wrote it commits (no waiting for an expiry)."""
    strategy_create("a", primary=True)
    days = [date(2024, 3, 1), date(2024, 3, 4)]
    bars_store("QQQ", {days[0]: 400.0, days[1]: 404.0})
    snapshot_make("a", days[0], 10_000)
    eod_finalize_date(days[0])
    assert latest_api(viewer_api)["strategies"][0]["latest"]["trading_date"] == "2024-03-01"
    assert latest_api(viewer_api)["strategies"][0]["latest"]["trading_date"] == "2024-03-01"  # now cached
    viewer_client.get("/")  # the overview caches its own read too
    snapshot_make("a", days[1], 10_250)
    eod_finalize_date(days[1])
    latest = latest_api(viewer_api)["strategies"][0]["latest"]
    assert latest["trading_date"] == "2024-03-04" and Decimal(latest["total_equity"]) == Decimal("10250")
    single = viewer_api.get("/api/v2/daily-performance", {"mode": "paper", "strategy_id": "a"}).json()
    assert single["latest"]["trading_date"] == "2024-03-04" and single["baseline"]["entity_id"] == "QQQ"
    assert "$10,250.00" in viewer_client.get("/").content.decode()


def test_a_rolled_back_write_keeps_the_cached_read():
    history(5)
    data_version_bump()
    before = selectors.daily_performance_recent(STRATEGIES, "paper")["a"].latest
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        DailyPerformance.objects.filter(entity_id="a").delete()
        data_version_bump()
        raise RuntimeError("the write failed")
    assert selectors.daily_performance_recent(STRATEGIES, "paper")["a"].latest.pk == before.pk


def test_every_service_that_writes_rows_gives_the_data_a_new_version():
    from performance.cache import data_version
    from performance.models import DAILY_PERFORMANCE_DATA
    from performance.services.backfill import daily_performance_seed_from_backtest
    from performance.services.demo import demo_remove
    from tests.performance.pages_seed import backtest_run_create

    assert data_version(DAILY_PERFORMANCE_DATA) is None  # nothing written yet: nothing cached
    run = backtest_run_create(strategy_create("a", primary=True))
    daily_performance_seed_from_backtest(run_id=run.pk, mode="paper")
    seeded = data_version(DAILY_PERFORMANCE_DATA)
    assert seeded and selectors.daily_performance_recent(["a"], "paper")["a"].latest.entity_id == "a"  # cached
    demo_remove()
    assert data_version(DAILY_PERFORMANCE_DATA) not in (None, seeded)
    assert selectors.daily_performance_recent(["a"], "paper") == {}


def test_a_history_page_is_serialised_once_per_data_version_with_links_for_each_request(viewer_api):
    history(30)
    data_version_bump()
    url = "/api/v2/daily-performance/history?strategy_id=a&days=3650&limit=10&offset=10"
    first = viewer_api.get(url)
    with CaptureQueriesContext(connection) as cached:
        again = viewer_api.get(url, HTTP_HOST="localhost")
    assert again.json()["results"] == first.json()["results"] and again.json()["count"] == 30
    assert again.json()["next"].startswith("http://localhost/") and "offset=20" in again.json()["next"]
    page_reads = [q["sql"] for q in cached.captured_queries if "COUNT(" in q["sql"] or "OFFSET" in q["sql"]]
    assert page_reads == []  # neither the count nor the page: both came from the cache
    row = DailyPerformance.objects.filter(entity_id="a", mode="paper").order_by("trading_date")[10]
    DailyPerformance.objects.filter(pk=row.pk).update(total_equity=Decimal("1.5"))
    assert Decimal(viewer_api.get(url).json()["results"][0]["total_equity"]) == row.total_equity
    data_version_bump()
    assert Decimal(viewer_api.get(url).json()["results"][0]["total_equity"]) == Decimal("1.5")
