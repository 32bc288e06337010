"""Fixtures of the market-data tests: a fixed clock, CSV writer, fresh source registry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from trading.sources import registry

FIXTURES = Path(__file__).parent / "fixtures"
#: a Tuesday evening after the close, New York time 19:00.
NOW = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def write_csv(tmp_path):
    """write_csv("QQQ.csv", "Date,Open,...\\n...") → Path of the written file."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text.lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _fresh_sources():
    """Each test starts with the default source instances (tests may register their own)."""
    for name in ("yahoo", "schwab", "synthetic"):
        registry.register_source(name, None)
    yield
    for name in ("yahoo", "schwab", "synthetic"):
        registry.register_source(name, None)


@pytest.fixture
def live_events(monkeypatch) -> list[dict]:
    """Every live event sent during the test (``publish`` sends after commit: use
    ``django_capture_on_commit_callbacks(execute=True)`` or a transactional test)."""
    from jutsu import events

    sent: list[dict] = []
    monkeypatch.setattr(events, "send_now", lambda event, group=events.DASHBOARD_GROUP: sent.append(event))
    return sent


@pytest.fixture(scope="module")
def _real_bars_module(django_db_setup, django_db_blocker):
    """Real QQQ/TQQQ/TLT/TMF/PSQ bars imported once for the module (committed), removed afterwards."""
    from tests.data import shared_market_dir
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
def real_market(_real_bars_module, db):
    """Real bars plus the shipped strategy registry (v3_5b primary, v3_5d)."""
    from strategies.services.registry import strategies_sync

    strategies_sync()


@pytest.fixture
def engine_paper(db):
    """The engine started in paper mode."""
    from trading.services.engine import engine_start

    return engine_start(mode="paper")


def close_of(day):
    """The aware closing moment of the NYSE session on ``day``."""
    from jutsu.scheduler import calendar

    return calendar.session(day).close
