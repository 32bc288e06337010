"""End to end on PostgreSQL + Redis: beat fires the trading job, a real worker runs it, trades are booked and
``trade_executed`` reaches a WebSocket through the Redis channel layer."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from jutsu.routing import websocket_urlpatterns
from tests.services import celery_process, require_services, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market(django_db_blocker):
    """Real bars (committed: the worker reads them) and the shipped registry, engine running in paper."""
    require_services()
    from strategies.services.registry import strategies_sync
    from tests.data import shared_market_dir
    from trading.marketdata.importing import market_data_import_file
    from trading.services.engine import engine_start

    folder = shared_market_dir()
    for name in ("QQQ", "TQQQ", "TLT", "TMF", "PSQ"):
        market_data_import_file(path=folder / f"{name}.csv")
    strategies_sync()
    engine_start(mode="paper")


def test_beat_and_a_worker_trade_and_the_trades_reach_the_dashboard(market, viewer_user, tmp_path, monkeypatch):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from trading.models import LiveTrade, TradingRun

    monkeypatch.setenv("EXECUTION_TIME", "close")  # the worker decides on the day's real bar
    queue = f"live-{uuid.uuid4().hex[:8]}"

    def schedule_the_job() -> None:
        every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(
            name=f"test:{queue}",
            task="jutsu.tasks.run_job_task",
            interval=every_second,
            one_off=True,
            args=json.dumps(["daily_trading"]),
            kwargs=json.dumps({"as_of": "2020-06-30T16:00:00-04:00", "trigger": "manual"}),
            queue=queue,
        )

    async def scenario():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/")
        communicator.scope["user"] = viewer_user
        assert (await communicator.connect())[0]
        await communicator.receive_json_from()  # the welcome message
        await sync_to_async(schedule_the_job)()  # beat picks the new row up on its next tick
        for _ in range(60):  # other tests may publish to the dashboard group too
            message = await communicator.receive_json_from(timeout=120)
            if message.get("type") == "trade_executed":
                break
        await communicator.disconnect()  # before the processes stop (stopping them blocks)
        return message

    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = ("worker", "-Q", queue, "--pool", "solo", "--without-gossip", "--without-mingle", "-n", f"{queue}@t")
    with (
        celery_process(*worker, log=worker_log),
        celery_process("beat", "--schedule", str(tmp_path / "beat-schedule"), log=beat_log),
    ):
        message = async_to_sync(scenario)()
    assert message["type"] == "trade_executed", message
    trade = message["trade"]
    assert trade["mode"] == "paper" and trade["trading_date"] == "2020-06-30"
    assert trade["strategy_id"] in ("v3_5b", "v3_5d") and trade["context"]["strategy_cell"] is not None
    wait_for(lambda: TradingRun.objects.exclude(status="running").exists(), timeout=60, what="the run", log=worker_log)
    run = TradingRun.objects.get()
    assert run.status == "completed" and run.job_run.trigger == "manual"
    assert LiveTrade.objects.filter(pk=trade["id"], strategy_id=trade["strategy_id"]).exists()
    assert LiveTrade.objects.filter(mode="paper", trading_date="2020-06-30").count() >= 2
