"""Notifications through Apprise: a real ``json://`` target served locally, retries, failing targets, the queue."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import checks

from jutsu.celery import app as celery_app
from jutsu.models import JobStatus
from jutsu.scheduler.registry import _JOBS, job
from jutsu.scheduler.runner import job_run
from strategies.services.registry import strategies_sync
from tests.trading.webhooks import webhook_server
from trading import delivery
from trading.executors.base import Fill
from trading.models import Side, TradeReason
from trading.notify import notify_strategy_not_traded, notify_validation_red
from trading.services.ledger import TradeContext, account_open, ledger_record_fill
from trading.services.orders import OrderRequest, orders_record
from trading.tasks import notify_deliver_task

pytestmark = pytest.mark.django_db

DAY = date(2020, 6, 25)
AT = datetime(2020, 6, 25, 20, 0, tzinfo=UTC)


@pytest.fixture
def eager():
    """Queued tasks run at once in this process (a worker's behaviour, without a worker)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def hooks(monkeypatch):
    with webhook_server() as server:
        yield server


def _targets(monkeypatch, *urls: str) -> None:
    monkeypatch.setenv("NOTIFY_URLS", ",".join(urls))


def _buy(qty: int = 20) -> None:
    account_open(strategy_id="v3_5b", mode="paper", day=DAY, initial_capital=Decimal("10000"))
    (order,) = orders_record(
        strategy_id="v3_5b",
        mode="paper",
        day=DAY,
        requests=[OrderRequest("QQQ", Side.BUY, qty, Decimal("250.00"))],
        reason=TradeReason.SIGNAL_CHANGE,
    )
    context = TradeContext(
        reason=TradeReason.SIGNAL_CHANGE, strategy_cell=1, trend_state="BullStrong", vol_state="Low", t_norm=0.52
    )
    ledger_record_fill(order_id=order.pk, fill=Fill(qty, Decimal("250.25"), Decimal("0.20"), AT), context=context)


def test_a_trade_reaches_a_json_target_with_the_strategy_context(
    hooks, monkeypatch, eager, django_capture_on_commit_callbacks
):
    strategies_sync()
    _targets(monkeypatch, hooks.url("/hook"))
    with django_capture_on_commit_callbacks(execute=True):
        _buy()
    (body,) = hooks.bodies("/hook")
    assert body["title"] == "v3_5b (paper): BUY 20 QQQ"
    assert body["type"] == "success"
    message = body["message"]
    assert "**v3_5b** — Hierarchical Adaptive v3.5b · mode `paper`" in message
    assert "BUY 20 QQQ at 250.25 (target 250.00" in message
    assert "cell 1 · trend BullStrong · vol Low · T_norm 0.520" in message


def test_each_target_is_tried_on_its_own_and_a_failing_one_gives_up_after_its_retries(
    hooks, monkeypatch, eager, django_capture_on_commit_callbacks
):
    hooks.answers["/down"] = [500]
    _targets(monkeypatch, hooks.url("/down"), hooks.url("/ok"))
    with django_capture_on_commit_callbacks(execute=True):
        notify_strategy_not_traded(strategy_id="v3_5d", mode="paper", trading_date=DAY, reason="QQQ bars are stale")
    assert len(hooks.bodies("/ok")) == 1
    assert len(hooks.bodies("/down")) == 1 + delivery.MAX_RETRIES
    assert "v3_5d (paper) was not traded on 2020-06-25: QQQ bars are stale" in hooks.bodies("/ok")[0]["message"]


def test_a_flaky_target_is_delivered_by_a_retry(hooks, monkeypatch):
    hooks.answers["/flaky"] = [503, 500, 200]
    _targets(monkeypatch, hooks.url("/flaky"))
    message = {"kind": "regime_change", "title": "t", "body": "b", "type": "info"}
    result = notify_deliver_task.apply(args=[message, 0, delivery.target_fingerprint(hooks.url("/flaky"))]).get()
    assert result == {"kind": "regime_change", "target": 1, "delivered": True, "attempts": 3}
    assert len(hooks.bodies("/flaky")) == 3


def test_retries_back_off_exponentially_up_to_a_cap():
    delays = [delivery.retry_delay(n) for n in range(delivery.MAX_RETRIES + 1)]
    assert delays == [30, 60, 120, 240, 480, 900, 900]


def test_a_failing_target_never_fails_the_job_that_notified(
    hooks, monkeypatch, eager, django_capture_on_commit_callbacks
):
    hooks.answers["/down"] = [500]
    _targets(monkeypatch, hooks.url("/down"), "json://127.0.0.1:9/closed-port")

    @job("test_notifying", description="notifies", trading_days_only=False)
    def notifying(ctx):
        notify_strategy_not_traded(strategy_id="v3_5b", mode="paper", trading_date=ctx.today, reason="test")

    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = job_run("test_notifying", as_of=AT)
    finally:
        _JOBS.pop("test_notifying", None)
    assert run.status == JobStatus.SUCCESS
    assert len(hooks.bodies("/down")) == 1 + delivery.MAX_RETRIES


def test_a_failed_job_run_is_notified(hooks, monkeypatch, eager, django_capture_on_commit_callbacks):
    _targets(monkeypatch, hooks.url("/hook"))

    @job("test_broken", description="fails", trading_days_only=False)
    def broken(ctx):
        raise RuntimeError("the broker said no")

    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = job_run("test_broken", as_of=AT)
    finally:
        _JOBS.pop("test_broken", None)
    assert run.status == JobStatus.FAILED
    (body,) = hooks.bodies("/hook")
    assert body["title"] == "test_broken failed on 2020-06-25" and body["type"] == "failure"
    assert "the broker said no" in body["message"]


def test_a_red_validation_names_both_cells(hooks, monkeypatch, eager, django_capture_on_commit_callbacks):
    _targets(monkeypatch, hooks.url("/hook"))
    with django_capture_on_commit_callbacks(execute=True):
        notify_validation_red(
            strategy_id="v3_5b",
            mode="paper",
            trading_date=DAY,
            morning={"cell": 1, "trend_state": "BullStrong", "targets": {"TQQQ": 0.6}},
            final={"cell": 3, "trend_state": "Sideways", "targets": {"QQQ": 1.0}},
        )
    (body,) = hooks.bodies("/hook")
    assert "RED" in body["title"] and body["type"] == "warning"
    assert "Morning: cell 1 · trend BullStrong → targets {'TQQQ': 0.6}" in body["message"]
    assert "Final bars: cell 3 · trend Sideways → targets {'QQQ': 1.0}" in body["message"]


def test_without_a_worker_the_notification_waits_in_the_broker_without_the_url(monkeypatch):
    """No worker and no eager mode: the task is a message in the embedded broker's queue folder — no expiry,
    and the secret URL is not in it (the worker resolves NOTIFY_URLS itself)."""
    if not settings.JUTSU.embedded_jobs:
        pytest.skip("the embedded file broker is used without REDIS_URL")
    url = "json://hook-user:s3cret-token@127.0.0.1:9/hook"
    _targets(monkeypatch, url)
    queue = settings.JUTSU_BROKER_DIR / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    before = set(queue.iterdir())
    from trading.notify import Notification

    assert delivery.notify_queue(Notification(kind="regime_change", title="t", body="b", strategy_id="v3_5b")) == 1
    (new,) = set(queue.iterdir()) - before
    try:
        raw = new.read_text()
        message = json.loads(raw)
        assert message["headers"]["task"] == "trading.tasks.notify_deliver_task"
        assert message["headers"]["expires"] is None
        args = json.loads(base64.b64decode(message["body"]))[0]
        assert args[1:] == [0, delivery.target_fingerprint(url)]
        assert "s3cret-token" not in raw and "s3cret-token" not in json.dumps(args)
    finally:
        new.unlink()


def test_a_target_changed_since_queueing_is_not_sent(hooks, monkeypatch):
    _targets(monkeypatch, hooks.url("/new"))
    message = {"kind": "regime_change", "title": "t", "body": "b", "type": "info"}
    result = notify_deliver_task.apply(args=[message, 0, delivery.target_fingerprint(hooks.url("/old"))]).get()
    assert result["delivered"] is False and result["attempts"] == 1
    assert hooks.received == []


def test_an_entry_apprise_does_not_understand_is_a_system_check_error(monkeypatch):
    _targets(monkeypatch, "json://127.0.0.1/ok", "no-such-scheme://x")
    errors = [m for m in checks.run_checks() if m.id == "trading.E002"]
    assert [e.msg for e in errors] == ["NOTIFY_URLS entry 2 is not a URL Apprise understands"]
