"""EOD jobs on the real NYSE calendar (half-days at 13:15, regular days at 16:15) and snapshot retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from jutsu.models import JobStatus
from jutsu.scheduler import calendar
from jutsu.scheduler.registry import get_job
from jutsu.scheduler.runner import job_run
from performance.models import DailyPerformance, EODJobStatus, EODStatus, PerformanceSnapshot
from tests.performance.helpers import bars_store, snapshot_make, strategy_make

pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=calendar.NEW_YORK)


def test_the_jobs_are_scheduled_at_16_15_and_13_15_new_york_on_weekdays():
    assert get_job("eod_finalization").schedules() == [{"minute": "15", "hour": "16", "day_of_week": "mon-fri"}]
    assert get_job("eod_finalization_halfday").schedules() == [{"minute": "15", "hour": "13", "day_of_week": "mon-fri"}]


@pytest.mark.parametrize("half_day", [date(2019, 11, 29), date(2019, 12, 24)])
def test_early_close_days_are_finalised_by_the_half_day_job_and_skipped_at_16_15(half_day):
    assert calendar.is_early_close(half_day)  # the real calendar: day after Thanksgiving, Christmas Eve
    strategy_make("a")
    bars_store("QQQ", {half_day: 200.0})
    snapshot_make("a", half_day, 10_000, hour=13, minute=5)

    late = job_run("eod_finalization", as_of=at(half_day, 16, 15))
    assert late.status == JobStatus.SKIPPED and "early close" in late.message
    assert not EODJobStatus.objects.filter(trading_date=half_day).exists()

    run = job_run("eod_finalization_halfday", as_of=at(half_day, 13, 15))
    assert run.status == JobStatus.SUCCESS, run.message
    assert EODJobStatus.objects.get(trading_date=half_day).status == EODStatus.COMPLETED
    assert DailyPerformance.objects.filter(trading_date=half_day, entity_id="a").exists()


def test_regular_days_are_finalised_at_16_15_and_skipped_by_the_half_day_job():
    day = date(2019, 11, 27)
    assert calendar.is_trading_day(day) and not calendar.is_early_close(day)
    strategy_make("a")
    bars_store("QQQ", {day: 200.0})
    snapshot_make("a", day, 10_000)
    assert job_run("eod_finalization_halfday", as_of=at(day, 13, 15)).status == JobStatus.SKIPPED
    run = job_run("eod_finalization", as_of=at(day, 16, 15))
    assert run.status == JobStatus.SUCCESS
    assert run.detail["dates"][-1] == {
        "date": "2019-11-27",
        "status": "completed",
        "strategies": "1/1",
        "baselines": "1/1",
        "errors": [],
    }
    assert len(run.detail["dates"]) == 8  # seven recovered (empty) dates, then today


@pytest.mark.parametrize("job", ["eod_finalization", "eod_finalization_halfday"])
def test_a_holiday_or_weekend_is_reported_as_skipped(job):
    out = StringIO()
    call_command("run_job", job, "--as-of", "2020-07-04T16:15:00-04:00", stdout=out)
    assert "skipped" in out.getvalue()
    assert not EODJobStatus.objects.exists()
    thanksgiving = job_run(job, as_of=at(date(2019, 11, 28), 16, 15))
    assert thanksgiving.status == JobStatus.SKIPPED


def test_the_run_is_partial_when_a_strategy_fails_and_lists_its_error():
    day = date(2019, 11, 27)
    strategy_make("good", order=1)
    strategy_make("bad", order=2)
    bars_store("QQQ", {calendar.previous_trading_day(day): 100.0, day: 101.0})
    snapshot_make("good", day, 10_000)
    snapshot_make("bad", calendar.previous_trading_day(day), 10_000, cash="0", positions={"XYZ": {"qty": 1}})
    run = job_run("eod_finalization", as_of=at(day, 16, 15))
    assert run.status == JobStatus.PARTIAL
    assert "bad/paper" in run.error and "XYZ" in run.error


def test_housekeeping_trims_snapshots_older_than_a_year():
    now = at(date(2024, 6, 3), 2, 30)
    old = snapshot_make("a", date(2023, 5, 1), 100)
    recent = snapshot_make("a", date(2023, 7, 1), 100)
    run = job_run("housekeeping", as_of=now)
    assert run.status == JobStatus.SUCCESS, run.error
    assert list(PerformanceSnapshot.objects.values_list("pk", flat=True)) == [recent.pk]
    assert "trim_performance_snapshots" in run.detail["done"]
    assert old.timestamp < now - timedelta(days=365) < recent.timestamp


def test_admin_lists_the_three_models_read_only_and_can_refinalise_a_date(admin_client):
    day = date(2019, 11, 27)
    strategy_make("a")
    snapshot_make("a", day, 10_000)
    job_run("eod_finalization", as_of=at(day, 16, 15))
    for url in (
        "/admin/performance/performancesnapshot/",
        "/admin/performance/dailyperformance/",
        "/admin/performance/eodjobstatus/",
    ):
        assert admin_client.get(url).status_code == 200
    row = DailyPerformance.objects.get(entity_id="a")
    page = admin_client.get(f"/admin/performance/dailyperformance/{row.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    status = EODJobStatus.objects.get(trading_date=day)
    response = admin_client.post(
        "/admin/performance/eodjobstatus/", {"action": "refinalize", "_selected_action": [status.pk]}, follow=True
    )
    assert response.status_code == 200
    assert EODJobStatus.objects.get(trading_date=day).attempts == 2
