"""Indicators API: current values per active strategy, history with filters/pagination/CSV, descriptions."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from jutsu.models import ConfigOverride
from tests.performance.pages_seed import strategy_create
from tests.trading.dashboard_seed import regime_rows_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    strategy_create("alpha", primary=True, order=1)
    strategy_create("beta", order=2)
    strategy_create("retired", active=False, order=3)
    alpha = regime_rows_create("alpha", days=30)
    regime_rows_create("beta", days=12, start=date(2024, 3, 4))
    regime_rows_create("alpha", mode="dry_run", days=3)
    return alpha


def test_indicators_show_each_active_strategy_latest_values_with_thresholds(viewer_api, seeded):
    body = viewer_api.get("/api/indicators").json()
    assert body["engine_mode"] == "paper"
    assert [s["strategy_id"] for s in body["strategies"]] == ["alpha", "beta"]
    alpha = body["strategies"][0]
    last = seeded[-1]
    assert alpha["mode"] == "paper"
    assert alpha["indicators"]["trading_date"] == last.trading_date.isoformat()
    assert alpha["indicators"]["t_norm"] == pytest.approx(last.t_norm)
    assert (alpha["indicators"]["sma_fast"], alpha["indicators"]["sma_slow"]) == (last.sma_fast, last.sma_slow)
    assert alpha["indicators"]["z_score"] == last.z_score and alpha["indicators"]["vol_state"] == last.vol_state
    assert alpha["indicators"]["bond_trend"] == "Bull" and alpha["indicators"]["sigma"] == 0.21
    assert alpha["thresholds"]["t_norm_bull_thresh"] == 0.05 and alpha["thresholds"]["upper_thresh_z"] == 1.0


def test_indicators_thresholds_follow_a_strategy_override(viewer_api, seeded, admin_user):
    ConfigOverride.objects.create(
        parameter="strategy.t_norm_bull_thresh",
        strategy_id="alpha",
        value="0.1",
        value_type="float",
        reason="test",
        created_by=admin_user,
    )
    body = viewer_api.get("/api/indicators", {"strategy_id": "alpha"}).json()
    assert [s["strategy_id"] for s in body["strategies"]] == ["alpha"]
    assert body["strategies"][0]["thresholds"]["t_norm_bull_thresh"] == 0.1


def test_indicators_in_another_mode_or_before_any_decision_are_null(viewer_api, seeded):
    body = viewer_api.get("/api/indicators", {"mode": "dry_run"}).json()
    by_id = {s["strategy_id"]: s for s in body["strategies"]}
    assert by_id["alpha"]["mode"] == "dry_run" and by_id["alpha"]["indicators"]["trading_date"] == "2024-03-05"
    assert by_id["beta"]["indicators"] is None


def test_indicators_refuse_bad_parameters_naming_them(viewer_api, seeded):
    bad_mode = viewer_api.get("/api/indicators", {"mode": "yolo"})
    assert bad_mode.status_code == 400 and "mode" in bad_mode.json()["detail"]
    unknown = viewer_api.get("/api/indicators", {"strategy_id": "nope"})
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]


def test_indicator_history_filters_paginates_oldest_first(viewer_api, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        page = viewer_api.get("/api/indicators/history", {"strategy_id": "alpha", "mode": "paper", "limit": 10}).json()
    assert page["count"] == 30 and len(page["results"]) == 10
    dates = [row["trading_date"] for row in page["results"]]
    assert dates == sorted(dates) and dates[0] == seeded[0].trading_date.isoformat()
    second = viewer_api.get(
        "/api/indicators/history", {"strategy_id": "alpha", "mode": "paper", "limit": 10, "offset": 10}
    ).json()
    assert second["results"][0]["trading_date"] == seeded[10].trading_date.isoformat()
    ranged = viewer_api.get(
        "/api/indicators/history", {"strategy_id": "alpha", "start_date": "2024-03-04", "end_date": "2024-03-08"}
    ).json()
    assert ranged["count"] == 7  # alpha in paper (Mar 4–8) and in dry_run (Mar 4, 5), both modes without ``mode``
    assert {r["mode"] for r in ranged["results"]} == {"paper", "dry_run"}


def test_indicator_history_days_count_back_from_the_newest_row(viewer_api, seeded):
    body = viewer_api.get("/api/indicators/history", {"strategy_id": "alpha", "mode": "paper", "days": 7}).json()
    newest = seeded[-1].trading_date
    assert body["results"][-1]["trading_date"] == newest.isoformat()
    assert all((newest - date.fromisoformat(r["trading_date"])).days < 7 for r in body["results"])
    assert body["count"] == 5  # a calendar week holds five sessions


def test_indicator_history_as_csv_has_every_row_and_column(viewer_api, seeded):
    response = viewer_api.get("/api/indicators/history", {"strategy_id": "alpha", "mode": "paper", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="indicators-alpha-paper.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 30
    assert {"t_norm", "sma_fast", "sma_slow", "z_score", "vol_state", "bond_trend", "cell"} <= set(rows[0])
    assert float(rows[-1]["t_norm"]) == pytest.approx(seeded[-1].t_norm)


def test_indicator_history_refuses_contradictory_ranges(viewer_api, seeded):
    both = viewer_api.get("/api/indicators/history", {"days": 5, "start_date": "2024-03-01"})
    assert both.status_code == 400 and "days" in both.json()["detail"]
    reversed_ = viewer_api.get("/api/indicators/history", {"start_date": "2024-03-09", "end_date": "2024-03-01"})
    assert reversed_.status_code == 400 and "start_date" in reversed_.json()["detail"]
    assert viewer_api.get("/api/indicators/history", {"limit": 0}).status_code == 400


def test_indicator_descriptions_explain_every_indicator_and_cell(viewer_api):
    body = viewer_api.get("/api/indicators/descriptions").json()
    keys = {item["key"] for item in body["indicators"]}
    assert {"t_norm", "sma_fast", "sma_slow", "z_score", "vol_state", "bond_trend"} <= keys
    assert all(item["description"] and item["used_for"] for item in body["indicators"])
    cells = {c["cell"]: c for c in body["cells"]}
    assert sorted(cells) == [1, 2, 3, 4, 5, 6]
    assert cells[1]["base_weights"] == {"TQQQ (leveraged long)": 0.6, "QQQ (core long)": 0.4}
    assert (cells[6]["trend_state"], cells[6]["vol_state"], cells[6]["treasury_overlay"]) == (
        "BearStrong",
        "High",
        True,
    )


def test_indicators_need_a_signed_in_caller(anon_api):
    for path in ("/api/indicators", "/api/indicators/history", "/api/indicators/descriptions"):
        assert anon_api.get(path).status_code == 401
