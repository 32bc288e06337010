"""The headless Chromium fixture of the browser tests.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (CI installs them); tests are skipped
with the reason when either is missing. When a browser test fails, a screenshot and the page's HTML are
kept under ``var/test-artifacts/browser/`` (``BROWSER_ARTIFACTS_DIR`` to change it) and their paths are
added to the failure report.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
TIMEOUT_SECONDS = 30
DEFAULT_ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS_DIR", DEFAULT_ARTIFACTS))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, so the browser fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _keep_artifacts(driver, item) -> list[Path]:
    """Save a screenshot and the page source of a failed test; returns what was written."""
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
    screenshot, page = folder / f"{stem}.png", folder / f"{stem}.html"
    driver.save_screenshot(str(screenshot))
    page.write_text(driver.page_source, encoding="utf-8")
    return [screenshot, page]


@pytest.fixture
def browser(request):
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="jutsu-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(TIMEOUT_SECONDS)
    try:
        yield driver
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            kept = _keep_artifacts(driver, request.node)
            report.sections.append(("browser artifacts", "\n".join(map(str, kept))))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
