"""The admin: branded, schedules in words, strategies and backtest runs with percentages."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from jutsu.scheduler.describe import crontab_describe
from tests.performance.pages_seed import backtest_run_create, strategy_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, admin_user, password):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.login(username=admin_user.username, password=password)
    return client


def test_the_admin_is_branded_jutsu_labs(superuser_client):
    html = superuser_client.get("/admin/").content.decode()
    assert "Jutsu Labs administration" in html and "Django administration" not in html


def test_scheduled_jobs_show_their_crontab_in_words(superuser_client):
    call_command("sync_schedules", verbosity=0)
    html = superuser_client.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert 'class="field-schedule">weekdays at 13:05 and 16:05 New York</td>' in html  # market_close_refresh


def test_backtest_runs_and_strategies_have_admin_pages_with_percentages(superuser_client):
    strategy = strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b")
    run = backtest_run_create(strategy)
    html = superuser_client.get("/admin/strategies/backtestrun/").content.decode()
    assert "+18.34%" in html and "-15.23%" in html and "1.46" in html  # CAGR, max drawdown, Sharpe
    assert "0.1834" not in html and f'href="/backtests/{run.pk}/"' in html
    detail = superuser_client.get(f"/admin/strategies/backtestrun/{run.pk}/change/").content.decode()
    assert "Profit factor" in detail and "∞" in detail
    assert "Hierarchical Adaptive v3.5b" in superuser_client.get("/admin/strategies/strategy/").content.decode()


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"minute": "5", "hour": "16", "day_of_week": "mon-fri"}, "weekdays at 16:05 New York"),
        ({"minute": "30", "hour": "2"}, "every day at 02:30 New York"),
        ({"minute": "0", "hour": "10-15", "day_of_week": "1-5"}, "weekdays, every hour from 10:00 to 15:00 New York"),
        ({"minute": "0", "hour": "8", "day_of_week": "sat,sun"}, "weekends at 08:00 New York"),
        ({"minute": "0", "hour": "8", "day_of_week": "mon,wed"}, "Mon, Wed at 08:00 New York"),
        ({"minute": "0", "hour": "8", "day_of_week": "whenever"}, "0 8 * * whenever (New York)"),
    ],
)
def test_crontab_entries_read_as_words(fields, text):
    assert crontab_describe(**fields, tz="America/New_York") == text
