"""Engine control (command and services), the emergency exit, and the trading schedule on the real calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jutsu.models import JobTrigger, SecurityEvent
from jutsu.scheduler.runner import job_run, parse_as_of
from tests.trading.conftest import close_of
from trading.models import EngineState, LiveTrade, Order, Position, TradingAccount, TradingRun
from trading.runner.schedule import daily_trading_schedule, next_execution_at, scheduled_run_mismatch
from trading.services.engine import (
    engine_record_execution,
    engine_start,
    engine_state_get,
    engine_status,
    engine_stop,
)

pytestmark = pytest.mark.django_db


def engine(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("engine", *args, stdout=out)
    return out.getvalue()


# ── engine state ──────────────────────────────────────────────────────────────────────────────────


def test_a_fresh_database_has_the_engine_stopped_in_paper_and_the_job_skips(real_market):
    assert "engine stopped in paper mode" in engine("status")
    run = job_run("daily_trading", as_of=close_of(date(2020, 6, 26)), trigger=JobTrigger.MANUAL)
    assert run.status == "skipped" and "engine is stopped" in run.message
    assert not TradingRun.objects.exists() and not LiveTrade.objects.exists()


def test_switching_to_online_live_needs_the_typed_confirmation(db):
    with pytest.raises(CommandError, match="confirm with 'YES'"):
        engine("start", "--mode", "online_live")
    with pytest.raises(CommandError, match="confirm with 'YES'"):
        engine("start", "--mode", "online_live", "--confirm", "yes")
    state = engine_state_get()
    assert (state.state, state.mode) == ("stopped", "paper")  # nothing changed
    assert not SecurityEvent.objects.filter(event_type="MODE_CHANGED").exists()
    assert "engine running in online_live mode" in engine("start", "--mode", "online_live", "--confirm", "YES")
    event = SecurityEvent.objects.get(event_type="MODE_CHANGED")
    assert event.severity == "HIGH" and event.details["from"] == "paper" and event.details["to"] == "online_live"


def test_start_stop_restart_and_status(db):
    assert "running in paper" in engine("start", "--mode", "paper")
    status = engine_status()
    assert status["state"] == "running" and status["uptime_seconds"] >= 0 and status["next_execution_at"]
    assert "engine stopped" in engine("stop")
    assert engine_status()["uptime_seconds"] is None
    engine_start(mode="paper")
    engine_record_execution(at=datetime(2020, 6, 26, 20, tzinfo=UTC), failed=True, error="all strategies failed")
    status = engine_status()
    assert (status["state"], status["last_error"], status["execution_count"]) == ("error", "all strategies failed", 1)
    assert "running in dry_run mode" in engine("restart", "--mode", "dry_run")
    assert engine_status()["last_error"] == ""
    assert EngineState.history.count() >= 4  # every change is kept


def test_a_stopped_engine_is_not_put_in_error_by_a_run_that_failed_meanwhile(db):
    engine_stop()
    engine_record_execution(at=datetime(2020, 6, 26, 20, tzinfo=UTC), failed=True, error="x")
    assert EngineState.objects.get().state == "stopped"


# ── emergency exit ────────────────────────────────────────────────────────────────────────────────


def test_flatten_sells_everything_through_the_executor_only_with_the_confirmation(real_market, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "close")
    engine_start(mode="paper")
    job_run("daily_trading", as_of=close_of(date(2020, 6, 25)), trigger=JobTrigger.MANUAL)
    held = {p.symbol: p.quantity for p in Position.objects.filter(strategy_id="v3_5b", quantity__gt=0)}
    assert held
    with pytest.raises(CommandError, match="confirm with 'YES'"):
        call_command("flatten", "--strategy", "v3_5b", "--mode", "paper")
    assert Position.objects.filter(strategy_id="v3_5b", quantity__gt=0).count() == len(held)

    engine_stop()  # the way out works with the engine stopped
    call_command(
        "flatten", "--strategy", "v3_5b", "--mode", "paper", "--confirm", "YES", "--as-of", "2020-07-01T15:30:00"
    )
    assert not Position.objects.filter(strategy_id="v3_5b", quantity__gt=0).exists()
    sells = LiveTrade.objects.filter(strategy_id="v3_5b", action="SELL")
    assert {t.symbol: t.quantity for t in sells} == held and {t.reason for t in sells} == {"Manual"}
    assert set(Order.objects.filter(reason="Manual").values_list("client_order_id", flat=True)) == {
        "v3_5b:paper:2020-07-01:QQQ:SELL:flatten:1",
        "v3_5b:paper:2020-07-01:TQQQ:SELL:flatten:2",
    }
    # fills at the stored open of 2020-07-01 (15:30 is before 15:45) with paper slippage and commission
    qqq = sells.get(symbol="QQQ")
    assert qqq.target_price == Decimal("247.639999") and qqq.fill_price == Decimal("247.392359")
    account = TradingAccount.objects.get(strategy_id="v3_5b", mode="paper")
    assert account.cash > Decimal("9900")  # everything back in cash
    assert Position.objects.filter(strategy_id="v3_5d", quantity__gt=0).exists()  # other strategies untouched
    call_command("flatten", "--strategy", "v3_5b", "--mode", "paper", "--confirm", "YES", "--as-of", "2020-07-01T15:31")
    assert LiveTrade.objects.filter(strategy_id="v3_5b", action="SELL").count() == len(held)  # nothing left


def test_flatten_of_a_strategy_that_never_traded_is_a_clear_error(real_market):
    with pytest.raises(CommandError, match="has never traded in paper"):
        call_command("flatten", "--strategy", "v3_5b", "--mode", "paper", "--confirm", "YES")
    with pytest.raises(CommandError, match="unknown strategy"):
        call_command("flatten", "--strategy", "nope", "--mode", "paper", "--confirm", "YES")


# ── schedule on the real NYSE calendar ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("execution_time", "entries"),
    [
        ("open", [("30", "9")]),
        ("15min_after_open", [("45", "9")]),
        ("15min_before_close", [("45", "15"), ("45", "12")]),
        ("5min_before_close", [("55", "15"), ("55", "12")]),
        ("close", [("0", "16"), ("0", "13")]),
    ],
)
def test_the_beat_entries_follow_the_execution_time_with_a_half_day_entry(db, monkeypatch, execution_time, entries):
    monkeypatch.setenv("EXECUTION_TIME", execution_time)
    schedule = daily_trading_schedule()
    assert [(e["minute"], e["hour"]) for e in schedule] == entries
    assert {e["day_of_week"] for e in schedule} == {"mon-fri"}


def test_each_day_runs_only_its_own_entry(db, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "15min_before_close")
    assert scheduled_run_mismatch(parse_as_of("2019-11-29T12:45")) is None  # the day after Thanksgiving: 13:00 close
    assert "early close: trading runs at 12:45" in scheduled_run_mismatch(parse_as_of("2019-11-29T15:45"))
    assert scheduled_run_mismatch(parse_as_of("2019-11-27T15:45")) is None
    assert "regular session: trading runs at 15:45" in scheduled_run_mismatch(parse_as_of("2019-11-27T12:45"))
    assert "not an NYSE trading day" in scheduled_run_mismatch(parse_as_of("2019-11-28T15:45"))  # Thanksgiving


def test_a_scheduled_trigger_at_the_other_days_entry_is_recorded_as_skipped(real_market, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "close")
    engine_start(mode="paper")
    run = job_run("daily_trading", as_of=parse_as_of("2019-12-24T16:00"), trigger=JobTrigger.SCHEDULE)
    assert run.status == "skipped" and "early close: trading runs at 13:00" in run.message
    holiday = job_run("daily_trading", as_of=parse_as_of("2019-12-25T16:00"), trigger=JobTrigger.SCHEDULE)
    assert holiday.status == "skipped" and "not an NYSE trading day" in holiday.message
    assert not TradingRun.objects.exists()
    run = job_run("daily_trading", as_of=parse_as_of("2019-12-24T13:00"), trigger=JobTrigger.SCHEDULE)
    assert run.status == "success" and TradingRun.objects.get().trading_date == date(2019, 12, 24)


def test_the_next_execution_skips_holidays_and_moves_earlier_on_half_days(db, monkeypatch):
    monkeypatch.setenv("EXECUTION_TIME", "5min_before_close")
    after_thanksgiving_eve = parse_as_of("2019-11-27T17:00")
    assert next_execution_at(after_thanksgiving_eve) == parse_as_of("2019-11-29T12:55")
    assert next_execution_at(parse_as_of("2019-11-29T12:56")) == parse_as_of("2019-12-02T15:55")
