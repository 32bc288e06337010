"""Admin pages of market data: read-only lists, audited invalidation action."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from trading.marketdata.importing import market_data_store_bars
from trading.models import DataAuditLog, MarketData
from trading.sources.base import RawBar

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored():
    raw = [RawBar("2020-01-02", "10", "11", "9", "10.5", "100"), RawBar("2020-01-03", "10", "11", "9", "10.5", "1")]
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=raw,
                           now=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip


@pytest.mark.parametrize("model", ["marketdata", "datametadata", "dataauditlog"])
def test_the_admin_lists_market_data_models_read_only(admin_client, stored, model):
    response = admin_client.get(reverse(f"admin:trading_{model}_changelist"))
    assert response.status_code == 200
    assert admin_client.get(reverse(f"admin:trading_{model}_add")).status_code == 403


def test_the_market_data_list_filters_and_searches(admin_client, stored):
    url = reverse("admin:trading_marketdata_changelist")
    assert admin_client.get(url, {"q": "QQQ", "is_valid__exact": "1", "data_source__exact": "csv"}).status_code == 200


def test_bars_cannot_be_deleted_in_the_admin(admin_client, stored):
    bar = MarketData.objects.first()
    assert admin_client.get(reverse("admin:trading_marketdata_delete", args=[bar.pk])).status_code == 403


def test_the_mark_invalid_action_goes_through_the_audited_service(admin_client, admin_user, stored):
    bar = MarketData.objects.first()
    response = admin_client.post(
        reverse("admin:trading_marketdata_changelist"),
        {"action": "mark_invalid", "_selected_action": [bar.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not MarketData.objects.get(pk=bar.pk).is_valid
    audit = DataAuditLog.objects.get(operation="flag")
    assert audit.user == admin_user and audit.actor == "admin"


def test_a_viewer_cannot_reach_the_market_data_admin(viewer_client):
    response = viewer_client.get(reverse("admin:trading_marketdata_changelist"))
    assert response.status_code == 302


@pytest.mark.parametrize("model", ["tradingaccount", "position", "order", "livetrade", "regimestate", "tradingrun"])
def test_the_live_trading_records_are_read_only_in_the_admin(admin_client, model):
    from datetime import date

    from tests.trading.ledger_helpers import trade

    traded = trade("v3_5b", "BUY", "QQQ", 10, "100", date(2020, 6, 25))
    response = admin_client.get(reverse(f"admin:trading_{model}_changelist"))
    assert response.status_code == 200
    assert admin_client.get(reverse(f"admin:trading_{model}_add")).status_code == 403
    if model == "livetrade":
        page = admin_client.get(reverse("admin:trading_livetrade_change", args=[traded.pk]))
        assert page.status_code == 200 and b"Save" not in page.content
        deleted = admin_client.post(reverse("admin:trading_livetrade_delete", args=[traded.pk]), {"post": "yes"})
        assert deleted.status_code == 403


def _engine_action(admin_client, action: str):
    url = reverse("admin:trading_enginestate_changelist")
    admin_client.get(url)
    return admin_client.post(url, {"action": action, "_selected_action": [1]}, follow=True)


def test_the_admin_starts_and_stops_the_engine_through_the_services(admin_client):
    from trading.models import EngineState

    response = _engine_action(admin_client, "paper_action")
    assert b"Engine running in paper mode." in response.content
    state = EngineState.objects.get()
    assert (state.state, state.mode, state.updated_by.username) == ("running", "paper", "admin")
    _engine_action(admin_client, "engine_stop_action")
    assert EngineState.objects.get().state == "stopped"
    assert [h.state for h in EngineState.history.order_by("history_date")][-2:] == ["running", "stopped"]


def test_the_admin_never_starts_online_live(admin_client):
    from trading.models import EngineState

    EngineState.objects.update_or_create(pk=1, defaults={"mode": "online_live", "state": "stopped"})
    for action in ("engine_start_action", "engine_restart_action"):
        response = _engine_action(admin_client, action)
        assert b"Real-money trading (online_live) is never started from the admin" in response.content
    assert EngineState.objects.get().state == "stopped"
    assert _engine_action(admin_client, "engine_stop_action").status_code == 200


def test_the_broker_token_admin_never_shows_the_token(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.trading.schwab import ACCESS_TOKEN, store_token

    row = store_token(issued_at=timezone.now() - timedelta(days=1))
    listing = admin_client.get(reverse("admin:trading_brokertoken_changelist"))
    detail = admin_client.get(reverse("admin:trading_brokertoken_change", args=[row.pk]))
    assert listing.status_code == detail.status_code == 200
    for page in (listing, detail):
        html = page.content.decode()
        assert row.token_encrypted not in html and ACCESS_TOKEN not in html
    assert admin_client.get(reverse("admin:trading_brokertoken_add")).status_code == 403


def test_reconciliation_reports_are_listed_read_only(admin_client):
    from datetime import date

    from trading.models import ReconciliationReport

    ReconciliationReport.objects.create(
        broker="schwab", trading_date=date(2026, 11, 24), status="mismatch", missing_locally=1,
        checked_at=datetime(2026, 11, 24, 22, tzinfo=UTC),
    )  # fmt: skip
    assert admin_client.get(reverse("admin:trading_reconciliationreport_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:trading_reconciliationreport_add")).status_code == 403
