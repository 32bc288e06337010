"""Config overrides: precedence, expiry (frozen time), history rows, audit events, the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from jutsu.conf.resolver import DEFAULT, ENV, OVERRIDE, YAML, resolve
from jutsu.errors import InvalidParameter
from jutsu.models import ConfigOverride, SecurityEvent
from jutsu.services.config_overrides import (
    config_override_deactivate,
    config_override_set,
    config_overrides_expire,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def yaml_dir(tmp_path, settings):
    settings.JUTSU_CONFIG_DIR = tmp_path
    (tmp_path / "live_trading_config.yaml").write_text("trading:\n  execution_time: close\n")
    return tmp_path


def test_precedence_env_then_override_then_yaml_then_default(yaml_dir, admin_user, monkeypatch):
    monkeypatch.delenv("EXECUTION_TIME", raising=False)
    assert resolve("trading.initial_capital").source == DEFAULT
    assert resolve("trading.initial_capital").value == Decimal("10000")

    effective = resolve("trading.execution_time")
    assert (effective.value, effective.source) == ("close", YAML)

    config_override_set(parameter="trading.execution_time", value="open", reason="early test", user=admin_user)
    effective = resolve("trading.execution_time")
    assert (effective.value, effective.source) == ("open", OVERRIDE)

    monkeypatch.setenv("EXECUTION_TIME", "5min_before_close")
    effective = resolve("trading.execution_time")
    assert (effective.value, effective.source) == ("5min_before_close", ENV)


def test_invalid_environment_value_names_the_variable(monkeypatch, yaml_dir):
    monkeypatch.setenv("EXECUTION_TIME", "noon")
    with pytest.raises(Exception, match="EXECUTION_TIME"):
        resolve("trading.execution_time")


def test_expired_override_never_applies(yaml_dir, admin_user):
    with time_machine.travel(T0, tick=False):
        config_override_set(
            parameter="trading.execution_time",
            value="open",
            reason="one hour only",
            user=admin_user,
            expires_at=T0 + timedelta(hours=1),
        )
        assert resolve("trading.execution_time").source == OVERRIDE
    with time_machine.travel(T0 + timedelta(hours=1, seconds=1), tick=False):
        # still marked active in the table (housekeeping has not run) but it must not apply
        assert ConfigOverride.objects.get().is_active is True
        effective = resolve("trading.execution_time")
        assert (effective.value, effective.source) == ("close", YAML)


def test_housekeeping_deactivates_expired_overrides_with_audit(yaml_dir, admin_user):
    with time_machine.travel(T0, tick=False):
        override = config_override_set(
            parameter="performance.risk_free_rate",
            value="0.03",
            reason="rates up",
            user=admin_user,
            expires_at=T0 + timedelta(days=1),
        )
    expired = config_overrides_expire(at=T0 + timedelta(days=2))
    assert [o.pk for o in expired] == [override.pk]
    override.refresh_from_db()
    assert override.is_active is False and override.deactivation_reason == "expired"
    events = SecurityEvent.objects.filter(event_type="CONFIG_OVERRIDE_CHANGED").order_by("id")
    assert [e.details["action"] for e in events] == ["set", "expire"]


def test_every_change_is_kept_in_history_and_audited(yaml_dir, admin_user):
    first = config_override_set(parameter="trading.slippage", value="0.002", reason="wide spreads", user=admin_user)
    second = config_override_set(parameter="trading.slippage", value="0.003", reason="wider", user=admin_user)
    first.refresh_from_db()
    assert first.is_active is False and first.deactivated_by == admin_user
    assert second.is_active is True
    assert ConfigOverride.objects.filter(parameter="trading.slippage", is_active=True).count() == 1
    history = list(first.history.order_by("history_date"))
    assert [h.is_active for h in history] == [True, False]
    assert history[0].history_user == admin_user
    event = SecurityEvent.objects.filter(event_type="CONFIG_OVERRIDE_CHANGED").latest("id")
    assert event.details["old_value"] == "0.002" and event.details["new_value"] == "0.003"
    assert event.username == admin_user.username
    config_override_deactivate(override_id=second.pk, user=admin_user, reason="spreads normal")
    assert resolve("trading.slippage").source == DEFAULT


def test_strategy_override_beats_global_override(yaml_dir, admin_user):
    config_override_set(parameter="trading.initial_capital", value="20000", reason="all", user=admin_user)
    config_override_set(
        parameter="trading.initial_capital", value="50000", reason="bigger book", user=admin_user, strategy_id="v3_5b"
    )
    assert resolve("trading.initial_capital", strategy_id="v3_5b").value == Decimal("50000")
    assert resolve("trading.initial_capital", strategy_id="v3_5d").value == Decimal("20000")


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("trading.no_such", "1", "unknown parameter"),
        ("trading.slippage", "abc", "not a valid float"),
        ("trading.slippage", "0.5", "above the maximum"),
        ("app.log_level", "DEBUG", "cannot be overridden"),
    ],
)
def test_invalid_overrides_are_refused_and_nothing_is_written(yaml_dir, admin_user, parameter, value, message):
    with pytest.raises(InvalidParameter, match=message):
        config_override_set(parameter=parameter, value=value, reason="x", user=admin_user)
    assert ConfigOverride.objects.count() == 0
    assert SecurityEvent.objects.count() == 0


def test_override_needs_a_reason_and_a_future_expiry(yaml_dir, admin_user):
    with pytest.raises(InvalidParameter, match="reason"):
        config_override_set(parameter="trading.slippage", value="0.002", reason="  ", user=admin_user)
    with pytest.raises(InvalidParameter, match="expires_at"):
        config_override_set(
            parameter="trading.slippage",
            value="0.002",
            reason="x",
            user=admin_user,
            expires_at=datetime(2000, 1, 1, tzinfo=UTC),
        )


def test_config_api_shows_effective_values_with_their_source(yaml_dir, viewer_api):
    response = viewer_api.get("/api/config")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["parameters"]}
    assert rows["trading.execution_time"]["source"] == "yaml"
    assert rows["trading.initial_capital"]["source"] == "default"


def test_viewer_cannot_write_config(yaml_dir, viewer_api):
    response = viewer_api.put(
        "/api/config", {"parameter": "trading.slippage", "value": "0.002", "reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"]


def test_admin_sets_and_resets_an_override_through_the_api(yaml_dir, admin_api):
    response = admin_api.put(
        "/api/config",
        [{"parameter": "trading.execution_time", "value": "open", "reason": "earlier fills"}],
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["effective"][0]["source"] == "override"
    response = admin_api.post("/api/config/reset/trading.execution_time")
    assert response.status_code == 200
    assert response.json() == {"deactivated": 1, "effective": resolve("trading.execution_time").as_dict()}
    assert resolve("trading.execution_time").source == YAML


def test_a_batch_with_one_bad_item_writes_nothing(yaml_dir, admin_api):
    response = admin_api.put(
        "/api/config",
        [
            {"parameter": "trading.execution_time", "value": "open", "reason": "ok"},
            {"parameter": "trading.slippage", "value": "lots", "reason": "bad"},
        ],
        format="json",
    )
    assert response.status_code == 400
    assert "trading.slippage" in response.json()["detail"]
    assert ConfigOverride.objects.count() == 0


def test_admin_creates_an_override_through_the_audited_service(yaml_dir, admin_client):
    response = admin_client.post(
        "/admin/jutsu/configoverride/add/",
        {
            "parameter": "trading.slippage",
            "strategy_id": "",
            "value": "0.002",
            "reason": "wide spreads",
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    override = ConfigOverride.objects.get(parameter="trading.slippage")
    assert override.created_by.username == "admin"
    assert SecurityEvent.objects.filter(event_type="CONFIG_OVERRIDE_CHANGED").count() == 1


def test_admin_form_shows_why_an_override_is_refused(yaml_dir, admin_client):
    response = admin_client.post(
        "/admin/jutsu/configoverride/add/",
        {
            "parameter": "trading.slippage",
            "strategy_id": "",
            "value": "lots",
            "reason": "x",
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 200
    assert "not a valid float" in response.content.decode()
    assert ConfigOverride.objects.count() == 0


def test_admin_lists_effective_values_with_their_source(yaml_dir, admin_client, admin_user):
    config_override_set(parameter="trading.slippage", value="0.002", reason="wide spreads", user=admin_user)
    html = admin_client.get("/admin/jutsu/configoverride/").content.decode()
    table = html[html.index('id="effective-configuration"') :]
    row = table[table.index("<td>trading.slippage</td>") :].split("</tr>")[0]
    assert "<td>0.002</td>" in row and "<td>override</td>" in row
    row = table[table.index("<td>trading.execution_time</td>") :].split("</tr>")[0]
    assert "<td>close</td>" in row and "<td>yaml</td>" in row


def test_an_existing_override_opens_read_only_in_the_admin_with_its_history_one_click_away(
    yaml_dir, admin_client, admin_user
):
    override = config_override_set(parameter="trading.slippage", value="0.002", reason="wide spreads", user=admin_user)
    response = admin_client.get(f"/admin/jutsu/configoverride/{override.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    history_url = f"/admin/jutsu/configoverride/{override.pk}/history/"
    assert f'href="{history_url}"' in html
    assert "trading.slippage" in html and "wide spreads" in html
    assert 'name="value"' not in html and 'name="parameter"' not in html  # every field is read-only
    history = admin_client.get(history_url)
    assert history.status_code == 200 and "0.002" in history.content.decode()


def test_an_existing_override_cannot_be_changed_in_place_through_the_admin(yaml_dir, admin_client, admin_user):
    override = config_override_set(parameter="trading.slippage", value="0.002", reason="wide spreads", user=admin_user)
    response = admin_client.post(
        f"/admin/jutsu/configoverride/{override.pk}/change/",
        {"parameter": "trading.slippage", "value": "0.5", "reason": "sneaky", "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 403
    override.refresh_from_db()
    assert override.value == "0.002" and override.reason == "wide spreads"
