"""The Schwab login through the API and the encrypted token store (real schwab-py/authlib, HTTP by respx)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import respx
import time_machine

from accounts.crypto import decrypt_text
from jutsu.models import SecurityEvent
from tests.trading.schwab import (
    ACCESS_TOKEN,
    ACCOUNT_HASH,
    ACCOUNT_NUMBERS,
    REFRESH_TOKEN,
    TOKEN_ENDPOINT,
    answer,
    store_token,
    wrapped_token,
)
from trading.broker.tokens import broker_token_save, schwab_token_read
from trading.models import BrokerAuthRequest, BrokerToken, ExpiryTier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schwab_credentials")]

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
CALLBACK = "https://127.0.0.1:8182"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def initiate(api) -> dict:
    response = api.post("/api/schwab/auth/initiate")
    assert response.status_code == 200, response.content
    return response.json()


def received_url(authorization_url: str, *, code: str = "C0.b2F1dGgyLmJkYy5zY2h3YWIuY29t.code%40") -> str:
    state = parse_qs(urlsplit(authorization_url).query)["state"][0]
    return f"{CALLBACK}/?code={code}&session=5f8e2a7c&state={state}"


def events(kind: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(event_type=kind).order_by("id"))


def test_initiate_returns_schwabs_authorisation_url_and_keeps_only_a_digest_of_the_state(admin_api, frozen):
    body = initiate(admin_api)

    url = urlsplit(body["authorization_url"])
    params = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", "api.schwabapi.com", "/v1/oauth/authorize")
    assert params["client_id"] == ["app-key-123"] and params["redirect_uri"] == [CALLBACK]
    assert params["response_type"] == ["code"]
    state = params["state"][0]
    assert len(state) >= 40
    assert body["callback_url"] == CALLBACK
    assert body["expires_at"] == (NOW + timedelta(minutes=10)).isoformat()
    pending = BrokerAuthRequest.objects.get()
    assert state not in pending.state_digest and len(pending.state_digest) == 64
    (event,) = events("OAUTH_INITIATED")
    assert event.user.role == "admin" and state not in json.dumps(event.details)


@respx.mock
def test_the_callback_stores_the_token_encrypted_and_resolves_the_first_account(admin_api, frozen):
    start = initiate(admin_api)
    exchange = respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_authorization_code.json"))
    accounts = respx.get(ACCOUNT_NUMBERS).mock(return_value=answer("schwab_account_numbers.json"))

    response = admin_api.post(
        "/api/schwab/auth/callback", {"received_url": received_url(start["authorization_url"])}, format="json"
    )

    assert response.status_code == 200, response.content
    sent = parse_qs(exchange.calls.last.request.content.decode())
    assert sent["grant_type"] == ["authorization_code"] and sent["redirect_uri"] == [CALLBACK]
    assert sent["code"] == ["C0.b2F1dGgyLmJkYy5zY2h3YWIuY29t.code@"]
    assert accounts.calls.last.request.headers["Authorization"].endswith(".login-access")
    row = BrokerToken.objects.get()
    assert row.refresh_issued_at == NOW and row.refresh_expires_at == NOW + timedelta(days=7)
    assert row.access_expires_at == NOW + timedelta(seconds=1800)
    assert row.account_hash == ACCOUNT_HASH and row.created_by.role == "admin"
    status = response.json()
    assert status["connected"] and status["token_present"] and status["account_hash_known"]
    assert status["token"]["refresh_token_seconds_left"] == 7 * 86400
    assert not BrokerAuthRequest.objects.exists(), "the login request is single use"
    (event,) = events("OAUTH_COMPLETED")
    assert event.details["account"] == "first account"


@respx.mock
def test_the_token_is_encrypted_at_rest(admin_api, frozen):
    start = initiate(admin_api)
    respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_authorization_code.json"))
    respx.get(ACCOUNT_NUMBERS).mock(return_value=answer("schwab_account_numbers.json"))
    admin_api.post(
        "/api/schwab/auth/callback", {"received_url": received_url(start["authorization_url"])}, format="json"
    )

    stored = BrokerToken.objects.values_list("token_encrypted", flat=True).get()
    for secret in ("login-access", "login-refresh", "access_token", "refresh_token", "creation_timestamp"):
        assert secret not in stored
    opened = json.loads(decrypt_text(stored))
    assert opened["creation_timestamp"] == int(NOW.timestamp())
    assert opened["token"]["refresh_token"] == "Z5.cmVmcmVzaC1sb2dpbg.login-refresh"
    assert schwab_token_read() == opened


@respx.mock
def test_a_state_that_was_not_issued_here_is_refused_before_any_exchange(admin_api, frozen):
    initiate(admin_api)
    exchange = respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_authorization_code.json"))
    forged = f"{CALLBACK}/?" + urlencode({"code": "C0.abc", "state": "forged-state"})

    response = admin_api.post("/api/schwab/auth/callback", {"received_url": forged}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "oauth_failed"
    assert "does not belong to a login started here" in response.json()["detail"]
    assert not exchange.called and not BrokerToken.objects.exists()
    (event,) = events("OAUTH_FAILED")
    assert "does not belong" in event.details["reason"]


@respx.mock
def test_an_expired_login_request_is_refused(admin_api, frozen):
    start = initiate(admin_api)
    exchange = respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_authorization_code.json"))
    frozen.shift(timedelta(minutes=10, seconds=1))

    response = admin_api.post(
        "/api/schwab/auth/callback", {"received_url": received_url(start["authorization_url"])}, format="json"
    )

    assert response.status_code == 400 and "expired at 14:10:00 UTC" in response.json()["detail"]
    assert "POST /api/schwab/auth/initiate" in response.json()["detail"]
    assert not exchange.called and not BrokerAuthRequest.objects.exists()


@respx.mock
def test_a_state_is_used_once(admin_api, frozen):
    start = initiate(admin_api)
    respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_authorization_code.json"))
    respx.get(ACCOUNT_NUMBERS).mock(return_value=answer("schwab_account_numbers.json"))
    url = received_url(start["authorization_url"])
    assert admin_api.post("/api/schwab/auth/callback", {"received_url": url}, format="json").status_code == 200

    again = admin_api.post("/api/schwab/auth/callback", {"received_url": url}, format="json")
    assert again.status_code == 400 and "used already" in again.json()["detail"]


@respx.mock
@pytest.mark.parametrize(
    "url, message",
    [
        (f"{CALLBACK}/?error=access_denied&error_description=User+cancelled&state=x", "did not authorise the login"),
        (f"{CALLBACK}/?state=x", "no code= parameter"),
        (f"{CALLBACK}/?code=C0.abc", "no state= parameter"),
        ("code=C0.abc&state=x", "whole address"),
    ],
)
def test_a_received_url_without_a_grant_is_refused_with_the_reason(admin_api, frozen, url, message):
    exchange = respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_authorization_code.json"))
    response = admin_api.post("/api/schwab/auth/callback", {"received_url": url}, format="json")
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not exchange.called
    assert len(events("OAUTH_FAILED")) == 1


@respx.mock
def test_a_code_schwab_refuses_is_a_clear_400(admin_api, frozen):
    start = initiate(admin_api)
    respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_invalid_grant.json", status=400))

    response = admin_api.post(
        "/api/schwab/auth/callback", {"received_url": received_url(start["authorization_url"])}, format="json"
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "invalid_grant" in detail and "about 30 seconds" in detail
    assert not BrokerToken.objects.exists()


def test_the_configured_account_is_kept_when_it_belongs_to_the_login(admin_api, frozen, settings):
    other = "1F2E3D4C5B6A79880F1E2D3C4B5A69780F1E2D3C4B5A69780F1E2D3C4B5A6978"
    settings.SCHWAB_ACCOUNT_HASH = other
    start = initiate(admin_api)
    with respx.mock:
        respx.post(TOKEN_ENDPOINT).mock(return_value=answer("schwab_token_authorization_code.json"))
        respx.get(ACCOUNT_NUMBERS).mock(return_value=answer("schwab_account_numbers.json"))
        admin_api.post(
            "/api/schwab/auth/callback", {"received_url": received_url(start["authorization_url"])}, format="json"
        )
    assert BrokerToken.objects.get().account_hash == other
    assert events("OAUTH_COMPLETED")[0].details["account"] == "SCHWAB_ACCOUNT_HASH"
    assert admin_api.get("/api/schwab/status").json()["account_selection"] == "SCHWAB_ACCOUNT_HASH"


def test_deleting_the_token_is_recorded_and_the_status_follows(admin_api, frozen):
    store_token(issued_at=NOW - timedelta(days=1))
    response = admin_api.delete("/api/schwab/token")
    assert response.status_code == 200 and response.json() == {"deleted": True}
    assert not BrokerToken.objects.exists()
    assert events("OAUTH_TOKEN_DELETED")[0].details == {"broker": "schwab", "existed": True}
    status = admin_api.get("/api/schwab/status").json()
    assert not status["token_present"] and not status["connected"] and status["token"] is None


def test_the_status_shows_the_refresh_token_age_and_time_left(viewer_api, frozen):
    store_token(issued_at=NOW - timedelta(days=6, hours=13), account_hash=ACCOUNT_HASH)

    status = viewer_api.get("/api/schwab/status").json()

    assert status["configured"] and status["token_present"] and status["connected"]
    token = status["token"]
    assert token["refresh_token_age_seconds"] == (6 * 24 + 13) * 3600
    assert token["refresh_token_seconds_left"] == 11 * 3600
    assert token["refresh_token_expires_at"] == (NOW + timedelta(hours=11)).isoformat()
    assert token["expiry_tier"] == ExpiryTier.HOURS_12
    assert token["access_token_expired"] is False
    assert ACCESS_TOKEN not in json.dumps(status) and REFRESH_TOKEN not in json.dumps(status)
    auth = viewer_api.get("/api/schwab/auth/status").json()
    assert auth["authenticated"] and auth["refresh_token_seconds_left"] == 11 * 3600


def test_an_expired_refresh_token_is_not_connected(viewer_api, frozen):
    store_token(issued_at=NOW - timedelta(days=7, seconds=1))
    status = viewer_api.get("/api/schwab/status").json()
    assert status["token_present"] and not status["connected"]
    assert status["token"]["refresh_token_expired"] and status["token"]["expiry_tier"] == ExpiryTier.EXPIRED
    assert not viewer_api.get("/api/schwab/auth/status").json()["authenticated"]


def test_the_auth_status_shows_a_started_login(admin_api, frozen):
    initiate(admin_api)
    pending = admin_api.get("/api/schwab/auth/status").json()["pending_authorization"]
    assert pending["expires_at"] == (NOW + timedelta(minutes=10)).isoformat() and pending["started_by"]


def test_without_credentials_a_login_cannot_start(admin_api, monkeypatch):
    monkeypatch.delenv("SCHWAB_API_KEY")
    response = admin_api.post("/api/schwab/auth/initiate")
    assert response.status_code == 400 and "SCHWAB_API_KEY" in response.json()["detail"]
    assert not admin_api.get("/api/schwab/status").json()["configured"]


def test_viewers_cannot_log_in_or_delete_the_token(viewer_api):
    assert viewer_api.post("/api/schwab/auth/initiate").status_code == 403
    assert viewer_api.post("/api/schwab/auth/callback", {"received_url": "x"}, format="json").status_code == 403
    assert viewer_api.delete("/api/schwab/token").status_code == 403


def test_a_refreshed_access_token_keeps_the_login_instant_and_an_older_login_is_ignored(frozen):
    login = NOW - timedelta(days=3)
    row = store_token(issued_at=login)
    BrokerToken.objects.filter(pk=row.pk).update(expiry_alert_tier=ExpiryTier.DAYS_5, account_hash=ACCOUNT_HASH)

    broker_token_save(wrapped_token(issued_at=login, access_expires_at=NOW + timedelta(minutes=30), access="new"))
    row.refresh_from_db()
    assert row.refresh_issued_at == login and row.expiry_alert_tier == ExpiryTier.DAYS_5
    assert row.account_hash == ACCOUNT_HASH
    assert schwab_token_read()["token"]["access_token"] == "new"

    assert broker_token_save(wrapped_token(issued_at=login - timedelta(days=1), access_expires_at=NOW)) is None
    assert schwab_token_read()["token"]["access_token"] == "new"


def test_a_new_login_resets_the_alert_state_and_the_account(frozen):
    row = store_token(issued_at=NOW - timedelta(days=6), account_hash=ACCOUNT_HASH)
    BrokerToken.objects.filter(pk=row.pk).update(expiry_alert_tier=ExpiryTier.DAY_1)
    broker_token_save(wrapped_token(issued_at=NOW, access_expires_at=NOW + timedelta(minutes=30)))
    row.refresh_from_db()
    assert row.refresh_issued_at == NOW and row.expiry_alert_tier == "" and row.account_hash == ""


def test_a_malformed_token_is_refused_and_nothing_is_stored():
    from jutsu.errors import InvalidParameter

    with pytest.raises(InvalidParameter, match="creation_timestamp"):
        broker_token_save({"token": {"access_token": "a", "refresh_token": "r"}})
    with pytest.raises(InvalidParameter, match="no access_token or refresh_token"):
        broker_token_save({"creation_timestamp": 1, "token": {"access_token": "a"}})
    assert not BrokerToken.objects.exists()


def test_reading_without_a_stored_token_asks_for_a_login():
    from trading.broker.errors import BrokerNotConnected

    with pytest.raises(BrokerNotConnected, match="no Schwab token is stored: log in to Schwab"):
        schwab_token_read()


def test_housekeeping_removes_logins_whose_callback_never_came(admin_api, frozen):
    from jutsu.scheduler.runner import job_run

    initiate(admin_api)
    job_run("housekeeping", as_of=NOW + timedelta(minutes=5))
    assert BrokerAuthRequest.objects.count() == 1
    run = job_run("housekeeping", as_of=NOW + timedelta(minutes=11))
    assert not BrokerAuthRequest.objects.exists()
    assert "1 expired broker login request(s) removed" in str(run.detail)
