"""Fixtures of the strategies tests: real bars imported once per module."""

from __future__ import annotations

import pytest

from strategies.services.registry import strategies_sync
from tests.data import shared_market_dir


@pytest.fixture(scope="module")
def _market_module(django_db_setup, django_db_blocker):
    """Real QQQ/TQQQ/TLT/TMF/PSQ bars imported once for the module (committed), removed afterwards."""
    from trading.marketdata.importing import market_data_import_file
    from trading.models import DataAuditLog, DataMetadata, MarketData

    folder = shared_market_dir()
    with django_db_blocker.unblock():
        for name in ("QQQ", "TQQQ", "TLT", "TMF", "PSQ"):
            market_data_import_file(path=folder / f"{name}.csv")
        yield
        for model in (MarketData, DataMetadata, DataAuditLog):
            model.objects.all().delete()


@pytest.fixture
def market(_market_module, db):
    """Real bars plus the shipped strategy registry."""
    strategies_sync()


@pytest.fixture(scope="session", autouse=True)
def _optuna_connections_closed(django_db_setup):
    """Optuna keeps pooled connections to the test database: close them before it is dropped."""
    yield
    from strategies.services.optimization_search import search_storages_close

    search_storages_close()
