"""One real browser: headless Chromium signs in through the login form and its TOTP stage, sees the overview
with data and the demo-data banner, and the performance chart render.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (CI installs them); skipped with the reason
when either is missing. Static files (the vendored Plotly bundle included) are served by the live server.
"""

from __future__ import annotations

import pytest

from accounts.services.totp import totp_enable, totp_setup_begin
from performance.models import EntityType
from tests.accounts.conftest import totp_now
from tests.performance.pages_seed import daily_performance_create, strategy_create
from trading.models import DataMetadata

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_SECONDS = 30


def _page_errors(driver) -> list[str]:
    """Severe console messages, except the live-events socket (the test server speaks HTTP only)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "/ws/" not in entry["message"]
    ]


def test_viewer_signs_in_with_totp_and_sees_overview_banner_and_chart(browser, live_server, viewer_user, password):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)
    daily_performance_create("v3_5b", days=300)
    daily_performance_create("QQQ", entity_type=EntityType.BASELINE, days=300, phase=1.4)
    DataMetadata.objects.create(symbol="QQQ", timeframe="1D", last_source="synthetic")
    secret = totp_setup_begin(user=viewer_user).secret
    totp_enable(user=viewer_user, code=totp_now(secret))
    wait = WebDriverWait(browser, TIMEOUT_SECONDS)

    browser.get(live_server.url + "/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[name=password]")))
    assert "/accounts/login/" in browser.current_url
    login_field = browser.find_elements(By.CSS_SELECTOR, "input[name=login], input[name=username]")[0]
    login_field.send_keys(viewer_user.username)
    browser.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[name=code]")))
    assert "/accounts/2fa/authenticate/" in browser.current_url
    browser.find_element(By.CSS_SELECTOR, "input[name=code]").send_keys(totp_now(secret, step_offset=1))
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()

    wait.until(lambda driver: "/accounts/" not in driver.current_url)
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "Hierarchical Adaptive v3.5b"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Hierarchical Adaptive v3.5b" in main and "QQQ" in main
    assert "Demo data — synthetic prices." in browser.find_element(By.TAG_NAME, "body").text
    assert _page_errors(browser) == []

    browser.get(live_server.url + "/performance/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#performance-equity-chart .main-svg")))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#performance-drawdown-chart .main-svg")))
    legend = browser.find_element(By.CSS_SELECTOR, "#performance-equity-chart").text
    assert "Hierarchical Adaptive v3.5b" in legend and "QQQ (buy & hold)" in legend
    assert browser.execute_script("return typeof window.Plotly") == "object"
    assert _page_errors(browser) == []

    # the growth toggle redraws the same chart
    browser.find_element(By.CSS_SELECTOR, "[data-scale=growth]").click()
    wait.until(lambda d: "%" in d.find_element(By.CSS_SELECTOR, "#performance-equity-chart .yaxislayer-above").text)

    assert "Demo data — synthetic prices." in browser.find_element(By.TAG_NAME, "body").text
