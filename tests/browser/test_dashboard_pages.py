"""Headless Chromium: a backtest started from the form finishes on its page without a reload; the Users page
fits a phone (390 px) and a desktop (1440 px) without sideways scrolling."""

from __future__ import annotations

import pytest

from strategies.models import BacktestRun, BacktestStatus
from tests.performance.pages_seed import backtest_run_create, strategy_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_SECONDS = 30


def _signed_in(browser, live_server, client, user, password) -> None:
    """The browser carries a session of ``user`` (signed in through the test client)."""
    assert client.login(username=user.username, password=password)
    browser.get(live_server.url + "/accounts/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})


def test_a_backtest_started_from_the_form_shows_its_results_when_it_finishes_without_a_reload(
    browser, live_server, client, admin_user, password
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    strategy = strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)
    finished = backtest_run_create(strategy, days=80)  # the results the worker would store
    wait = WebDriverWait(browser, TIMEOUT_SECONDS)
    _signed_in(browser, live_server, client, admin_user, password)

    browser.get(live_server.url + "/backtests/new/")
    browser.find_element(By.CSS_SELECTOR, "details.params summary").click()
    field = browser.find_element(By.NAME, "param_sma_fast")
    field.clear()
    field.send_keys("30")
    browser.find_element(By.CSS_SELECTOR, "#backtest-start button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "backtest-waiting")))
    run = BacktestRun.objects.exclude(pk=finished.pk).get()
    assert run.status == BacktestStatus.PENDING and run.config["request"]["param_overrides"] == {"sma_fast": "30"}
    browser.execute_script("window.__sameDocument = true;")

    # the research worker finishes the run (no worker here: store what it stores)
    fields = ("equity_curve", "baseline_curve", "fills", "trades", "regime", "metrics", "final_equity")
    BacktestRun.objects.filter(pk=run.pk).update(
        status=BacktestStatus.COMPLETED, **{name: getattr(finished, name) for name in fields}
    )

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#equity-chart .main-svg")))
    assert browser.execute_script("return window.__sameDocument === true")  # no reload happened
    assert "Completed" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_elements(By.CSS_SELECTOR, "#drawdown-chart .main-svg")


@pytest.mark.parametrize("width", [390, 1440])
def test_the_users_page_fits_the_screen_without_sideways_scrolling(
    browser, live_server, client, admin_user, password, width
):
    from selenium.webdriver.support.ui import WebDriverWait

    from accounts.models import User

    for number in range(6):
        User.objects.create_user(username=f"a-rather-long-user-name-{number}@example.com", password=password)
    _signed_in(browser, live_server, client, admin_user, password)
    browser.set_window_size(width, 900)
    browser.get(live_server.url + "/accounts/users/")
    browser.find_element("css selector", "form.stacked button[type=submit]").click()  # an invitation, with its link
    # the answer is a new page: wait for it rather than read the old one
    WebDriverWait(browser, TIMEOUT_SECONDS).until(
        lambda driver: driver.find_elements("css selector", "[data-copy-target]")
    )
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    assert page_width <= viewport, f"page is {page_width}px wide in a {viewport}px window"
    overflowing = browser.execute_script(
        "return Array.from(document.querySelectorAll('.users-page .card'))"
        ".filter(function (card) { return card.scrollWidth > card.clientWidth + 1; }).length"
    )
    assert overflowing == 0
