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
