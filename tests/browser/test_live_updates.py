"""Live updates in a real browser: an open trades page shows a new trade without reloading.

The platform runs as it does in production's embedded mode — ``manage.py serve`` (daphne, in-memory channel layer)
on its own SQLite file — and the trade is booked by another process (``manage.py shell``) through the ledger, which
publishes ``trade_executed`` after commit. A process that is not the web server reaches the sockets through the
channel layer's outbox, which the server relays; ``static/jutsu/live.js`` then refreshes the trades fragment in
place. Needs the Debian packages ``chromium`` and ``chromium-driver`` (skipped with the reason otherwise).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.services import ROOT, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_SECONDS = 60
PASSWORD = "Live-updates-pw-2718"

BOOK_TRADE = """
from datetime import UTC, date, datetime, time
from decimal import Decimal
from trading.executors.base import Fill
from trading.models import TradeReason
from trading.services.ledger import TradeContext, account_open, ledger_record_fill
from trading.services.orders import OrderRequest, orders_record

day = date(2024, 3, 4)
account_open(strategy_id="v3_5b", mode="paper", day=day, initial_capital=Decimal("10000"))
(order,) = orders_record(strategy_id="v3_5b", mode="paper", day=day,
                         requests=[OrderRequest("TQQQ", "BUY", 7, Decimal("51.25"))], reason=TradeReason.REBALANCE)
ledger_record_fill(order_id=order.pk, fill=Fill(7, Decimal("51.25"), Decimal("0.07"),
                   datetime.combine(day, time(14, 45), tzinfo=UTC)),
                   context=TradeContext(reason=TradeReason.REBALANCE, strategy_cell=1))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def platform(tmp_path):
    """A migrated platform with the strategy registry and an admin, served by daphne without jobs."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(
        JUTSU_DATA_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path}/live.sqlite3",
        JUTSU_ADMIN_PASSWORD=PASSWORD,
        JUTSU_ENV="development",
        LOG_LEVEL="WARNING",
    )
    for command in (["migrate", "--noinput"], ["sync_strategies"], ["createadmin", "--username", "admin"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port), "--jobs", "off"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://localhost:{port}"
    try:
        wait_for(lambda: _answers(base + "/api/status/health"), timeout=120, what="the server", log=log)
        yield base, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def test_an_open_trades_page_shows_a_new_trade_without_reloading(browser, platform):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, env = platform
    wait = WebDriverWait(browser, TIMEOUT_SECONDS)
    browser.get(base + "/trades/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[name=password]")))
    browser.find_elements(By.CSS_SELECTOR, "input[name=login], input[name=username]")[0].send_keys("admin")
    browser.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()
    wait.until(ec.url_contains("/trades/"))
    wait.until(ec.presence_of_element_located((By.ID, "trades-live")))
    assert "No trades yet" in browser.find_element(By.ID, "trades-live").text
    wait.until(lambda d: d.find_element(By.ID, "live-status").get_attribute("data-state") == "live")
    browser.execute_script("window.__sameDocument = 'yes';")  # gone if the page reloads

    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", BOOK_TRADE], cwd=ROOT, env=env, check=True, capture_output=True
    )

    wait.until(lambda d: "TQQQ" in d.find_element(By.ID, "trades-live").text)
    live = browser.find_element(By.ID, "trades-live").text
    assert "BUY" in live and "$51.25" in live and "No trades yet" not in live
    assert "1 trade" in browser.find_element(By.ID, "trades-count").text
    assert browser.execute_script("return window.__sameDocument") == "yes"
