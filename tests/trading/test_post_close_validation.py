"""Post-close validation: the morning decision re-run on the day's final bars and graded GREEN/YELLOW/RED."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jutsu.models import JobStatus
from jutsu.scheduler import calendar
from jutsu.scheduler.runner import job_run
from tests.trading.conftest import close_of
from trading import notify
from trading.models import Grade, MarketData, RegimeState
from trading.services.engine import engine_set_mode
from trading.services.validation import grade_of

pytestmark = pytest.mark.django_db

D1, D2 = date(2020, 6, 29), date(2020, 6, 30)


def _morning(day: date):
    return calendar.session(day).open + timedelta(minutes=15)


@pytest.fixture
def sent(monkeypatch):
    """Notifications handed to the senders (delivery itself is tested in test_notifications)."""
    seen: list[notify.Notification] = []
    monkeypatch.setattr(notify, "_senders", [seen.append])
    return seen


@pytest.mark.parametrize(
    ("morning", "final", "grade"),
    [
        ((1, {"TQQQ": 0.6, "QQQ": 0.4}), (1, {"QQQ": 0.4, "TQQQ": 0.6, "TMF": 0.0}), Grade.GREEN),
        ((1, {"TQQQ": 0.6, "QQQ": 0.4}), (1, {"TQQQ": 0.55, "QQQ": 0.45}), Grade.YELLOW),
        ((1, {"TQQQ": 0.6, "QQQ": 0.4}), (3, {"TQQQ": 0.6, "QQQ": 0.4}), Grade.RED),
    ],
)
def test_grades(morning, final, grade):
    assert grade_of(morning_cell=morning[0], morning=morning[1], final_cell=final[0], final=final[1]) == grade


def test_a_morning_decision_is_graded_against_the_decision_at_the_close(real_market, engine_paper, monkeypatch):
    """paper trades at 9:45 (a synthetic bar from the open); offline_mock trades the same days at the close. The
    validation's final decision for paper must be offline_mock's close decision, and the grade follows."""
    monkeypatch.setenv("EXECUTION_TIME", "15min_after_open")
    for day in (D1, D2):
        assert job_run("daily_trading", as_of=_morning(day), trigger="manual").status == JobStatus.SUCCESS
    engine_set_mode("offline_mock")
    monkeypatch.setenv("EXECUTION_TIME", "close")
    for day in (D1, D2):
        assert job_run("daily_trading", as_of=close_of(day), trigger="manual").status == JobStatus.SUCCESS

    run = job_run("post_close_validation", as_of=close_of(D2) + timedelta(minutes=20))
    assert run.status == JobStatus.SUCCESS, run.message
    for strategy_id in ("v3_5b", "v3_5d"):
        morning = RegimeState.objects.get(strategy_id=strategy_id, mode="paper", trading_date=D2)
        at_close = RegimeState.objects.get(strategy_id=strategy_id, mode="offline_mock", trading_date=D2)
        assert morning.final_cell == at_close.strategy_cell
        assert morning.final_target_weights == {k: v for k, v in at_close.target_weights.items() if abs(v) > 1e-9}
        expected = grade_of(
            morning_cell=morning.strategy_cell,
            morning=morning.target_weights,
            final_cell=at_close.strategy_cell,
            final=at_close.target_weights,
        )
        assert morning.grade == expected and morning.validated_at == run.as_of
        assert at_close.grade == Grade.GREEN  # decided at the close: GREEN by construction
    assert run.detail["grades"]["v3_5b/offline_mock"] == "GREEN"


def test_a_decision_at_the_close_is_green_without_recomputing(real_market, engine_paper, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "close")
    job_run("daily_trading", as_of=close_of(D1), trigger="manual")
    MarketData.objects.filter(timestamp__date=D1).delete()  # a recomputation could not find its bars
    run = job_run("post_close_validation", as_of=close_of(D1) + timedelta(minutes=20))
    assert run.status == JobStatus.SUCCESS
    row = RegimeState.objects.get(strategy_id="v3_5b", mode="paper", trading_date=D1)
    assert (row.grade, row.final_cell, row.final_target_weights) == (
        Grade.GREEN,
        row.strategy_cell,
        {k: v for k, v in row.target_weights.items() if abs(v) > 1e-9},
    )


def test_a_different_cell_is_red_and_notified(
    real_market, engine_paper, monkeypatch, sent, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("EXECUTION_TIME", "15min_after_open")
    job_run("daily_trading", as_of=_morning(D1), trigger="manual")
    row = RegimeState.objects.get(strategy_id="v3_5b", mode="paper", trading_date=D1)
    RegimeState.objects.filter(pk=row.pk).update(strategy_cell=(row.strategy_cell % 6) + 1)  # another cell
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = job_run("post_close_validation", as_of=close_of(D1) + timedelta(minutes=20))
    row.refresh_from_db()
    assert row.grade == Grade.RED and run.detail["grades"]["v3_5b/paper"] == "RED"
    (red,) = [n for n in sent if n.kind == "validation_red"]
    assert red.strategy_id == "v3_5b" and f"the final bars say cell {row.final_cell}" in red.body


def test_validation_waits_for_the_final_bars_and_the_time(real_market, engine_paper, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "15min_after_open")
    job_run("daily_trading", as_of=_morning(D1), trigger="manual")
    early = job_run("post_close_validation", as_of=close_of(D1) - timedelta(minutes=30))
    assert early.status == JobStatus.SKIPPED
    half_day_entry = job_run("post_close_validation", as_of=close_of(D1) - timedelta(hours=2, minutes=40))
    assert half_day_entry.status == JobStatus.SKIPPED  # 13:20 on a regular day
    MarketData.objects.filter(symbol="TQQQ", timestamp__date=D1).delete()  # the day's sync did not arrive
    missing = job_run("post_close_validation", as_of=close_of(D1) + timedelta(minutes=20))
    assert missing.status == JobStatus.FAILED and "no final bar of 2020-06-29 for TQQQ" in missing.error


def test_the_grade_shows_in_the_regime_status(viewer_api, real_market, engine_paper, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "close")
    job_run("daily_trading", as_of=close_of(D1), trigger="manual")
    job_run("post_close_validation", as_of=close_of(D1) + timedelta(minutes=20))
    body = viewer_api.get("/api/status/regime").json()
    grades = {s["strategy_id"]: s["regime"]["validation"]["grade"] for s in body["strategies"]}
    assert grades == {"v3_5b": "GREEN", "v3_5d": "GREEN"}
