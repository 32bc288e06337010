"""The control page (admins): engine state and mode switch behind the live-switch guard (typed YES, a fresh
second factor — the page sends the admin to verify it and back), kill switch, flatten, scheduler actions,
recent job runs and overrides with their history."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from jutsu.models import ConfigOverride, JobRun, SecurityEvent
from tests.accounts.conftest import bearer, enable_totp, totp_now
from tests.performance.pages_seed import page_html, strategy_create
from tests.trading.ledger_helpers import live_quotes_at, trade
from trading.services.engine import engine_start, engine_status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 15, 0, 10, tzinfo=UTC)  # 10 s into a TOTP step
LIVE = {"action": "mode", "mode": "online_live", "confirm": "YES"}


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    cache = dict(django_settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"control-test-{uuid.uuid4().hex}"
    settings.CACHES = {**django_settings.CACHES, "default": cache}


@pytest.fixture
def strategies():
    strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)


@pytest.fixture
def admin_with_totp(admin_user, admin_client, password):
    """The admin with TOTP enabled at T0 (enabling is not a check: the second factor is not fresh yet)."""
    api = APIClient()
    with time_machine.travel(T0, tick=False):
        token = api.post("/api/auth/login", {"username": "admin", "password": password}, format="json")
        bearer(api, token.json()["access_token"])
        secret, _ = enable_totp(api)
    return secret


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages] if hasattr(response.wsgi_request, "_messages") else []


def test_admin_sees_engine_state_mode_scheduler_and_overrides(admin_client, strategies, admin_user):
    from jutsu.scheduler.schedules import schedules_sync

    schedules_sync()
    JobRun.objects.create(
        job_name="daily_trading", run_number=1, status="success", as_of=T0, trading_date=T0.date(), started_at=T0
    )
    ConfigOverride.objects.create(
        parameter="trading.execution_time",
        value="close",
        value_type="str",
        reason="test the close",
        created_by=admin_user,
    )
    html = page_html(admin_client.get("/control/"))
    assert 'id="engine-state">stopped<' in html and 'id="engine-mode">paper<' in html
    assert 'id="job-daily_trading"' in html and "Run now" in html and "Disable" in html
    assert "ET" in html.split('id="job-daily_trading"')[1].split("</tr>")[0]  # next run in New York time
    assert "test the close" in html and "trading.execution_time" in html
    assert "Hierarchical Adaptive v3.5b" in html and "holds nothing" in html
    assert ">Control<" in html  # the navigation shows the page to admins


def test_viewer_may_neither_open_nor_post_to_the_control_page(viewer_client):
    assert viewer_client.get("/control/").status_code == 403
    assert viewer_client.post("/control/", {"action": "stop"}).status_code == 403
    assert viewer_client.get("/control/verify/").status_code == 403


def test_stop_is_the_kill_switch_and_start_resumes_in_the_chosen_mode(admin_client, strategies):
    engine_start(mode="paper")
    response = admin_client.post("/control/", {"action": "stop"}, follow=True)
    assert engine_status()["state"] == "stopped"
    assert "Engine stopped" in page_html(response)
    admin_client.post("/control/", {"action": "start", "mode": "dry_run"})
    assert (engine_status()["state"], engine_status()["mode"]) == ("running", "dry_run")


def test_switching_to_live_without_the_typed_yes_is_refused(admin_client, admin_with_totp):
    response = admin_client.post("/control/", {**LIVE, "confirm": "yes please"}, follow=True)
    assert "type YES to confirm" in page_html(response)
    assert engine_status()["mode"] == "paper"


def test_a_stale_second_factor_sends_the_admin_to_verify_it_and_back(admin_client, admin_user, admin_with_totp):
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        response = admin_client.post("/control/", LIVE)
    assert engine_status()["mode"] == "paper"
    target = urlparse(response["Location"])
    assert response.status_code == 302 and target.path == "/control/verify/"
    back = parse_qs(target.query)["next"][0]
    assert back == "/control/?mode=online_live"

    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        wrong = admin_client.post("/control/verify/", {"code": "000000", "next": back})
        assert wrong.status_code == 400 and "Invalid two-factor code" in wrong.content.decode()
        code = totp_now(admin_with_totp, at=(T0 + timedelta(minutes=2)).timestamp())
        verified = admin_client.post("/control/verify/", {"code": code, "next": back})
    assert verified.status_code == 302 and verified["Location"] == back
    page = page_html(admin_client.get(back))
    assert '<option value="online_live" selected>' in page  # the pending switch is preselected

    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        admin_client.post("/control/", LIVE)
    assert engine_status()["mode"] == "online_live"
    assert SecurityEvent.objects.filter(event_type="MODE_CHANGED").exists()


def test_verify_never_sends_the_admin_to_another_site(admin_client, admin_with_totp):
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        code = totp_now(admin_with_totp, at=(T0 + timedelta(minutes=2)).timestamp())
        response = admin_client.post("/control/verify/", {"code": code, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/control/"


def test_an_admin_without_a_second_factor_cannot_switch_to_live(admin_client):
    response = admin_client.post("/control/", LIVE, follow=True)
    assert "needs a second factor" in page_html(response)
    assert engine_status()["mode"] == "paper"
    assert SecurityEvent.objects.filter(event_type="ACCESS_DENIED").exists()


def test_flatten_needs_the_typed_yes_then_sells_everything(admin_client, strategies, monkeypatch):
    trade("v3_5b", "BUY", "QQQ", 10, "300.00", date(2024, 3, 4))
    html = page_html(admin_client.get("/control/"))
    assert "holds 10 QQQ" in html
    refused = admin_client.post(
        "/control/", {"action": "flatten", "strategy_id": "v3_5b", "mode": "paper"}, follow=True
    )
    assert "confirm with &#x27;YES&#x27;" in page_html(refused) or "confirm with 'YES'" in page_html(refused)
    live_quotes_at(monkeypatch, "310.00")
    done = admin_client.post(
        "/control/", {"action": "flatten", "strategy_id": "v3_5b", "mode": "paper", "confirm": "YES"}, follow=True
    )
    assert "sold 10 QQQ" in page_html(done)
    from trading.selectors import positions_held

    assert positions_held("v3_5b", "paper") == {}


def test_jobs_are_enabled_disabled_and_triggered_from_the_page(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    from jutsu import tasks
    from jutsu.scheduler.schedules import schedule_overview, schedules_sync

    schedules_sync()
    admin_client.post("/control/", {"action": "disable", "job": "hourly_refresh"})
    assert {r["job"]: r["enabled"] for r in schedule_overview()}["hourly_refresh"] is False
    admin_client.post("/control/", {"action": "enable", "job": "hourly_refresh"})
    assert {r["job"]: r["enabled"] for r in schedule_overview()}["hourly_refresh"] is True
    queued = []
    monkeypatch.setattr(tasks.run_job_task, "apply_async", lambda **kw: queued.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/control/", {"action": "trigger", "job": "market_data_sync"}, follow=True)
    assert queued and queued[0]["args"] == ["market_data_sync"] and queued[0]["kwargs"] == {"trigger": "manual"}
    assert "market_data_sync queued" in page_html(response)
    unknown = admin_client.post("/control/", {"action": "trigger", "job": "nope"}, follow=True)
    assert "nope" in page_html(unknown)


def test_the_page_reads_a_bounded_number_of_queries(
    admin_client, strategies, admin_user, django_assert_max_num_queries
):
    def seed(n: int, offset: int) -> None:
        for i in range(n):
            at = T0 + timedelta(minutes=offset + i)
            JobRun.objects.create(
                job_name="hourly_refresh",
                run_number=offset + i + 1,
                status="success",
                as_of=at,
                trading_date=at.date(),
                started_at=at,
            )
            ConfigOverride.objects.create(
                parameter="trading.slippage",
                value="0.001",
                value_type="Decimal",
                reason=f"r{offset + i}",
                created_by=admin_user,
                is_active=False,
            )

    seed(2, 0)
    admin_client.get("/control/")  # the first read creates the engine's row
    with django_assert_max_num_queries(40) as few:
        admin_client.get("/control/")
    seed(40, 100)
    with django_assert_max_num_queries(40) as many:
        admin_client.get("/control/")
    assert len(many.captured_queries) == len(few.captured_queries)
