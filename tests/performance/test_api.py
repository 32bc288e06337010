"""Performance API: V2 filters, pagination, comparison limit, CSV, EOD status; V1 deprecation; permissions."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jutsu.scheduler import calendar
from performance.models import EODJobStatus, EODStatus
from performance.services.backfill import daily_performance_backfill
from tests.performance.helpers import bars_store, snapshot_make, strategy_make

pytestmark = pytest.mark.django_db

DAYS = calendar.trading_days(date(2024, 1, 2), date(2024, 3, 28))
V2 = [
    "/api/v2/daily-performance?strategy_id=alpha",
    "/api/v2/daily-performance/history?strategy_id=alpha",
    "/api/v2/daily-performance/comparison?strategy_ids=alpha,beta",
    "/api/v2/daily-performance/eod-status",
    "/api/v2/daily-performance/eod-status/today",
]
V1 = [
    "/api/performance?strategy_id=alpha",
    "/api/performance/equity-curve?strategy_id=alpha",
    "/api/performance/drawdown?strategy_id=alpha",
    "/api/performance/regime-breakdown?strategy_id=alpha",
]


def seed(strategy_ids=("alpha", "beta"), days=DAYS, *, modes=("paper",)) -> None:
    bars_store("QQQ", {d: 400 + i for i, d in enumerate(days)})
    for n, sid in enumerate(strategy_ids):
        strategy_make(sid, order=n)
        for i, day in enumerate(days):
            for mode in modes:
                snapshot_make(sid, day, 10_000 + 15 * i * (n + 1) + (i % 5) * 7, mode=mode, cell=1 + i % 6)
    daily_performance_backfill(strategy_ids=list(strategy_ids), end=days[-1])


@pytest.fixture
def seeded():
    seed()


@pytest.mark.parametrize("url", V2 + V1)
def test_anonymous_caller_gets_401(anon_api, url):
    response = anon_api.get(url)
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("url", V2 + V1)
def test_viewer_and_admin_can_read_every_endpoint(seeded, viewer_api, admin_api, url):
    assert viewer_api.get(url).status_code == 200
    assert admin_api.get(url).status_code == 200


def test_latest_returns_the_newest_row_and_its_baseline(seeded, viewer_api):
    body = viewer_api.get("/api/v2/daily-performance?strategy_id=alpha&mode=paper").json()
    assert body["latest"]["trading_date"] == DAYS[-1].isoformat()
    assert body["latest"]["entity_id"] == "alpha"
    assert body["baseline"]["entity_id"] == "QQQ"
    assert "kpi_state" not in body["latest"]
    assert body["latest"]["trading_days_count"] == len(DAYS)


def test_latest_without_a_strategy_lists_every_active_strategy(seeded, viewer_api):
    body = viewer_api.get("/api/v2/daily-performance").json()
    assert [s["strategy_id"] for s in body["strategies"]] == ["alpha", "beta"]
    assert all(s["latest"]["trading_date"] == DAYS[-1].isoformat() for s in body["strategies"])


def test_latest_of_an_unknown_strategy_is_404_and_a_known_one_without_rows_is_null(seeded, viewer_api):
    assert viewer_api.get("/api/v2/daily-performance?strategy_id=nope").status_code == 404
    body = viewer_api.get("/api/v2/daily-performance?strategy_id=alpha&mode=online_live").json()
    assert body["latest"] is None


def test_history_filters_by_date_range_days_mode_and_baseline(seeded, viewer_api):
    url = "/api/v2/daily-performance/history"
    body = viewer_api.get(f"{url}?strategy_id=alpha&start_date=2024-02-01&end_date=2024-02-29").json()
    dates = [r["trading_date"] for r in body["results"]]
    assert dates == [d.isoformat() for d in DAYS if date(2024, 2, 1) <= d <= date(2024, 2, 29)]
    body = viewer_api.get(f"{url}?strategy_id=alpha&days=7").json()  # 7 calendar days up to the latest row
    assert [r["trading_date"] for r in body["results"]] == [
        d.isoformat() for d in DAYS if d > DAYS[-1] - timedelta(days=7)
    ]
    assert viewer_api.get(f"{url}?strategy_id=alpha&mode=online_live").json()["count"] == 0
    body = viewer_api.get(f"{url}?baseline=qqq&days=3650").json()
    assert body["count"] == len(DAYS) and body["results"][0]["entity_type"] == "baseline"


def test_history_is_paginated_with_limit_and_offset(seeded, viewer_api):
    body = viewer_api.get("/api/v2/daily-performance/history?strategy_id=alpha&limit=10&offset=20").json()
    assert body["count"] == len(DAYS)
    assert [r["trading_date"] for r in body["results"]] == [d.isoformat() for d in DAYS[20:30]]
    assert "offset=30" in body["next"] and "offset=10" in body["previous"]


def test_history_as_csv_has_a_header_and_one_line_per_day(seeded, viewer_api):
    response = viewer_api.get("/api/v2/daily-performance/history?strategy_id=alpha&days=3650&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == len(DAYS)
    assert rows[0]["trading_date"] == DAYS[0].isoformat() and rows[0]["entity_id"] == "alpha"
    assert float(rows[-1]["sharpe_ratio"]) != 0
    paged = viewer_api.get("/api/v2/daily-performance/history?strategy_id=alpha&format=csv&limit=5&offset=1")
    lines = paged.content.decode().strip().splitlines()
    assert len(lines) == 1 + 5 and lines[1].startswith(f"{DAYS[1].isoformat()},strategy,alpha,paper,")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("strategy_id=alpha&days=abc", "days"),
        ("strategy_id=alpha&days=0", "days"),
        ("strategy_id=alpha&start_date=2024-13-01", "start_date"),
        ("strategy_id=alpha&end_date=yesterday", "end_date"),
        ("strategy_id=alpha&start_date=2024-03-01&end_date=2024-02-01", "start_date"),
        ("strategy_id=alpha&mode=live", "mode"),
        ("mode=paper", "strategy_id"),
        ("strategy_id=alpha&format=xml", "format"),
        ("strategy_id=alpha&limit=many", "limit"),
        ("strategy_id=alpha&offset=-1", "offset"),
    ],
)
def test_invalid_history_parameters_are_400_naming_the_parameter(seeded, viewer_api, query, parameter):
    response = viewer_api.get(f"/api/v2/daily-performance/history?{query}")
    assert response.status_code == 400
    assert parameter in response.json()["detail"]


def test_comparison_returns_up_to_three_strategies_and_their_shared_baseline_once(viewer_api):
    seed(("alpha", "beta", "gamma", "delta"))
    body = viewer_api.get("/api/v2/daily-performance/comparison?strategy_ids=alpha,beta,gamma&days=30").json()
    assert [(s["entity_type"], s["entity_id"]) for s in body["series"]] == [
        ("strategy", "alpha"),
        ("strategy", "beta"),
        ("strategy", "gamma"),
        ("baseline", "QQQ"),
    ]
    assert all(p["date"] > (DAYS[-1] - timedelta(days=30)).isoformat() for s in body["series"] for p in s["points"])
    response = viewer_api.get("/api/v2/daily-performance/comparison?strategy_ids=alpha,beta,gamma,delta")
    assert response.status_code == 400
    assert "strategy_ids" in response.json()["detail"] and "at most 3" in response.json()["detail"]
    no_base = viewer_api.get("/api/v2/daily-performance/comparison?strategy_ids=alpha&baseline=false").json()
    assert [s["entity_id"] for s in no_base["series"]] == ["alpha"]


def test_eod_status_lists_recent_dates_and_today(viewer_api):
    now = timezone.now()
    for i, status in enumerate([EODStatus.COMPLETED, EODStatus.PARTIAL, EODStatus.FAILED]):
        EODJobStatus.objects.create(
            trading_date=DAYS[10 - i], status=status, started_at=now, errors=[{"entity_id": "x", "error": "e"}]
        )
    body = viewer_api.get("/api/v2/daily-performance/eod-status?days=30").json()
    assert [r["status"] for r in body["results"]] == ["completed", "partial", "failed"]
    assert viewer_api.get("/api/v2/daily-performance/eod-status?days=x").status_code == 400

    friday = datetime(2019, 11, 29, 14, 0, tzinfo=calendar.NEW_YORK)
    with time_machine.travel(friday, tick=False):
        body = viewer_api.get("/api/v2/daily-performance/eod-status/today").json()
        assert body == {"trading_date": "2019-11-29", "is_trading_day": True, "status": None, "early_close": True}
        EODJobStatus.objects.create(trading_date=date(2019, 11, 29), status=EODStatus.RUNNING, started_at=now)
        body = viewer_api.get("/api/v2/daily-performance/eod-status/today").json()
        assert body["status"] == "running" and body["trading_date"] == "2019-11-29"


@pytest.mark.parametrize("url", V1)
def test_v1_endpoints_are_deprecated_with_sunset_and_successor_link(seeded, viewer_api, url):
    for response in (viewer_api.get(url), viewer_api.get(url + "&days=abc")):
        assert response["Deprecation"] == "true"
        assert response["Sunset"].endswith("GMT")
        assert response["Link"] == '</api/v2/daily-performance>; rel="successor-version"'
    assert viewer_api.get(url + "&days=abc").status_code == 400


def test_v1_reads_the_same_numbers_as_v2(seeded, viewer_api):
    v1 = viewer_api.get("/api/performance?strategy_id=alpha").json()
    v2 = viewer_api.get("/api/v2/daily-performance?strategy_id=alpha").json()["latest"]
    assert v1["metrics"]["sharpe_ratio"] == v2["sharpe_ratio"]
    assert v1["current_equity"] == v2["total_equity"]
    curve = viewer_api.get("/api/performance/equity-curve?strategy_id=alpha&days=14").json()["equity_curve"]
    assert curve[-1] == {"date": DAYS[-1].isoformat(), "equity": v2["total_equity"]}
    drawdown = viewer_api.get("/api/performance/drawdown?strategy_id=alpha").json()
    assert drawdown["max_drawdown"] == pytest.approx(v2["max_drawdown"])
    cells = viewer_api.get("/api/performance/regime-breakdown?strategy_id=alpha").json()["cells"]
    assert sorted(c["cell"] for c in cells) == [1, 2, 3, 4, 5, 6]
    assert sum(c["days"] for c in cells) == len(DAYS) - 1
    assert all(c["baseline_return"] is not None for c in cells)


def test_v1_with_the_flag_off_computes_from_end_of_day_snapshots(seeded, viewer_api, settings):
    v2 = viewer_api.get("/api/v2/daily-performance?strategy_id=alpha").json()["latest"]
    settings.USE_DAILY_PERFORMANCE = False
    snapshot_make("alpha", DAYS[-1], 1, hour=11)  # an intraday snapshot: ignored, the 16:05 one ends the day
    v1 = viewer_api.get("/api/performance?strategy_id=alpha").json()
    assert v1["metrics"]["sharpe_ratio"] == pytest.approx(v2["sharpe_ratio"], rel=1e-12)
    # the rows are computed from one read of the snapshots, whatever the number of days
    assert _queries(viewer_api, "/api/performance?strategy_id=alpha&days=7") == _queries(
        viewer_api, "/api/performance?strategy_id=alpha"
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_endpoints_use_a_fixed_number_of_queries(viewer_api):
    seed(("alpha", "beta"), DAYS[:10])
    small = {
        "latest": _queries(viewer_api, "/api/v2/daily-performance"),
        "history": _queries(viewer_api, "/api/v2/daily-performance/history?strategy_id=alpha&limit=500"),
        "csv": _queries(viewer_api, "/api/v2/daily-performance/history?strategy_id=alpha&format=csv"),
        "comparison": _queries(viewer_api, "/api/v2/daily-performance/comparison?strategy_ids=alpha,beta"),
        "v1": _queries(viewer_api, "/api/performance/regime-breakdown?strategy_id=alpha"),
    }
    seed(("gamma", "delta", "epsilon", "zeta"), DAYS[10:])
    daily_performance_backfill(strategy_ids=["alpha", "beta"], end=DAYS[-1])
    large = {
        "latest": _queries(viewer_api, "/api/v2/daily-performance"),
        "history": _queries(viewer_api, "/api/v2/daily-performance/history?strategy_id=alpha&limit=500"),
        "csv": _queries(viewer_api, "/api/v2/daily-performance/history?strategy_id=alpha&format=csv"),
        "comparison": _queries(viewer_api, "/api/v2/daily-performance/comparison?strategy_ids=alpha,beta,gamma"),
        "v1": _queries(viewer_api, "/api/performance/regime-breakdown?strategy_id=alpha"),
    }
    assert large == small


@pytest.mark.parametrize("url", V2 + V1)
def test_every_endpoint_answers_csv_with_a_header_and_rows(seeded, viewer_api, url):
    response = viewer_api.get(url + ("&" if "?" in url else "?") + "format=csv")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows and rows[0] and all(len(row) == len(rows[0]) for row in rows)
    if "eod-status" not in url:  # the seeded history has no EOD runs yet: header only
        assert len(rows) >= 2
    if url in V1:
        assert response["Deprecation"] == "true"


def test_comparison_csv_has_one_line_per_entity_and_day(seeded, viewer_api):
    response = viewer_api.get("/api/v2/daily-performance/comparison?strategy_ids=alpha,beta&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    entities = {(r["entity_type"], r["entity_id"]) for r in rows}
    assert entities == {("strategy", "alpha"), ("strategy", "beta"), ("baseline", "QQQ")}
    assert len(rows) == 3 * len(DAYS)


@pytest.mark.parametrize("url", V2 + V1)
def test_an_unknown_format_is_400_naming_the_parameter(seeded, viewer_api, url):
    response = viewer_api.get(url + ("&" if "?" in url else "?") + "format=xml")
    assert response.status_code == 400
    assert "format" in response.json()["detail"]
