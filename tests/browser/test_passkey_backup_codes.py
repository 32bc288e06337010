"""A real browser adds a first passkey (Chromium's virtual WebAuthn authenticator) and is shown the
backup codes once; the account page then counts them."""

from __future__ import annotations

import pytest

from accounts.models import BackupCode
from accounts.services.backup_codes import backup_code_use

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_SECONDS = 30


def test_a_first_passkey_added_in_the_browser_shows_the_backup_codes_once(
    browser, live_server, viewer_user, password, settings
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGIN = live_server.url.replace("127.0.0.1", "localhost")
    base = settings.WEBAUTHN_ORIGIN
    wait = WebDriverWait(browser, TIMEOUT_SECONDS)
    options = VirtualAuthenticatorOptions()
    options.protocol, options.transport = Protocol.CTAP2, Transport.INTERNAL
    options.has_resident_key = options.has_user_verification = options.is_user_verified = True

    browser.get(base + "/accounts/login/")
    browser.find_elements(By.CSS_SELECTOR, "input[name=login], input[name=username]")[0].send_keys("viewer")
    browser.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()
    wait.until(lambda driver: "/accounts/login/" not in driver.current_url)
    browser.get(base + "/accounts/")
    browser.add_virtual_authenticator(options)
    browser.find_element(By.ID, "passkey-name").send_keys("Virtual key")
    browser.find_element(By.ID, "passkey-current-password").send_keys(password)  # adding a factor: owner present
    browser.find_element(By.CSS_SELECTOR, "[data-passkey-register]").click()

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-backup-codes] ul.codes code")))
    shown = [node.text for node in browser.find_elements(By.CSS_SELECTOR, "[data-backup-codes] ul.codes code")]
    assert len(shown) == 10 and len(set(shown)) == 10
    assert BackupCode.objects.filter(user=viewer_user).count() == 10
    assert backup_code_use(user=viewer_user, code=shown[0])  # what the page showed is what was stored

    browser.find_element(By.CSS_SELECTOR, "[data-backup-codes] button").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-backup-codes-state=unused]")))
    assert "9 of 10 unused" in browser.find_element(By.ID, "backup-codes").text
    assert "Virtual key" in browser.find_element(By.ID, "passkeys").text
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-backup-codes] ul.codes")  # shown once only
