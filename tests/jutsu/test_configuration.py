"""Typed settings, secrets and the YAML layer: precedence, strict parsing, loud failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jutsu.conf.app_settings import load_settings
from jutsu.conf.database import database_config, mask_url, resolve_database_url
from jutsu.conf.secrets import get_secret
from jutsu.conf.yaml_config import YamlLayer
from jutsu.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    return directory


def base_env(tmp_path: Path, config_dir: Path, **extra: str) -> dict[str, str]:
    return {"JUTSU_DATA_DIR": str(tmp_path / "var"), "JUTSU_CONFIG_DIR": str(config_dir), **extra}


# --- secrets ---------------------------------------------------------------------------------------


def test_docker_secret_file_wins_over_file_variable_and_environment(tmp_path):
    secrets_dir = tmp_path / "run-secrets"
    secrets_dir.mkdir()
    (secrets_dir / "db_password").write_text("from-docker\n")
    other = tmp_path / "pw.txt"
    other.write_text("from-file")
    env = {"POSTGRES_PASSWORD_FILE": str(other), "POSTGRES_PASSWORD": "from-env"}
    assert get_secret("db_password", "POSTGRES_PASSWORD", environ=env, secrets_dir=secrets_dir) == "from-docker"


def test_file_variable_wins_over_plain_environment(tmp_path):
    path = tmp_path / "pw.txt"
    path.write_text("from-file\n")
    env = {"POSTGRES_PASSWORD_FILE": str(path), "POSTGRES_PASSWORD": "from-env"}
    assert get_secret("db_password", "POSTGRES_PASSWORD", environ=env, secrets_dir=tmp_path / "none") == "from-file"


def test_environment_then_default(tmp_path):
    missing = tmp_path / "none"
    assert get_secret("x", "X_VAR", environ={"X_VAR": "v"}, secrets_dir=missing) == "v"
    assert get_secret("x", "X_VAR", default="d", environ={}, secrets_dir=missing) == "d"


def test_file_variable_pointing_nowhere_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="X_VAR_FILE"):
        get_secret("x", "X_VAR", environ={"X_VAR_FILE": str(tmp_path / "nope")}, secrets_dir=tmp_path / "none")


# --- environments -----------------------------------------------------------------------------------


def test_production_requires_a_secret_key(tmp_path, config_dir):
    env = base_env(tmp_path, config_dir, JUTSU_ENV="production", ALLOWED_HOSTS="jutsu.example.com")
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load_settings(env)


def test_production_refuses_debug_and_anonymous_access(tmp_path, config_dir):
    key = "k" * 64
    env = base_env(tmp_path, config_dir, JUTSU_ENV="production", SECRET_KEY=key, ALLOWED_HOSTS="a.example.com")
    assert load_settings(env).debug is False
    with pytest.raises(ConfigError, match="DEBUG"):
        load_settings({**env, "DEBUG": "true"})
    with pytest.raises(ConfigError, match="AUTH_REQUIRED"):
        load_settings({**env, "AUTH_REQUIRED": "false"})


def test_development_generates_and_keeps_a_secret_key(tmp_path, config_dir):
    env = base_env(tmp_path, config_dir)
    first = load_settings(env).secret_key
    assert len(first) >= 50
    assert load_settings(env).secret_key == first


def test_unknown_environment_and_junk_booleans_name_the_variable(tmp_path, config_dir):
    with pytest.raises(ConfigError, match="JUTSU_ENV"):
        load_settings(base_env(tmp_path, config_dir, JUTSU_ENV="prod"))
    with pytest.raises(ConfigError, match="DISABLE_DOCS"):
        load_settings(base_env(tmp_path, config_dir, DISABLE_DOCS="maybe"))


def test_feature_flags_default_and_parse(tmp_path, config_dir):
    settings = load_settings(base_env(tmp_path, config_dir, DISABLE_DOCS="yes"))
    assert settings.disable_docs is True
    assert settings.auth_required is True
    assert settings.use_daily_performance is True
    assert load_settings(base_env(tmp_path, config_dir, USE_DAILY_PERFORMANCE="0")).use_daily_performance is False


def test_embedded_mode_without_redis(tmp_path, config_dir):
    settings = load_settings(base_env(tmp_path, config_dir))
    assert settings.embedded_jobs is True and settings.broker_url == "filesystem://"
    with_redis = load_settings(base_env(tmp_path, config_dir, REDIS_URL="redis://:pw@localhost:6379/0"))
    assert with_redis.embedded_jobs is False
    assert with_redis.safe_broker_url == "redis://:****@localhost:6379/0"


def test_the_schwab_callback_url_defaults_locally_and_must_be_https(tmp_path, config_dir):
    settings = load_settings(base_env(tmp_path, config_dir))
    assert settings.schwab_callback_url == "https://127.0.0.1:8182" and settings.schwab_account_hash == ""
    chosen = load_settings(
        base_env(tmp_path, config_dir, SCHWAB_CALLBACK_URL="https://jutsu.example.com/cb", SCHWAB_ACCOUNT_HASH="AB12")
    )
    assert (chosen.schwab_callback_url, chosen.schwab_account_hash) == ("https://jutsu.example.com/cb", "AB12")
    for bad in ("http://127.0.0.1:8182", "127.0.0.1:8182", "https://127.0.0.1:8182/?x=1"):
        with pytest.raises(ConfigError, match="SCHWAB_CALLBACK_URL"):
            load_settings(base_env(tmp_path, config_dir, SCHWAB_CALLBACK_URL=bad))


# --- YAML layer ---------------------------------------------------------------------------------------


def test_invalid_yaml_names_file_and_line(config_dir):
    (config_dir / "config.yaml").write_text("app:\n  log_level: [unclosed\n")
    with pytest.raises(ConfigError) as error:
        YamlLayer(config_dir).load()
    assert "config.yaml" in str(error.value) and "line" in str(error.value)


def test_unknown_key_names_file_key_and_suggests(config_dir):
    (config_dir / "live_trading_config.yaml").write_text("trading:\n  execution_tme: close\n")
    with pytest.raises(ConfigError) as error:
        YamlLayer(config_dir).load()
    message = str(error.value)
    assert "live_trading_config.yaml" in message and "trading.execution_tme" in message
    assert "did you mean trading.execution_time" in message


def test_out_of_range_value_names_key_and_reason(config_dir):
    (config_dir / "config.yaml").write_text("security:\n  lockout_threshold: 0\n")
    with pytest.raises(ConfigError, match=r"security.lockout_threshold.*below the minimum 1"):
        YamlLayer(config_dir).load()


def test_wrong_choice_is_rejected(config_dir):
    (config_dir / "live_trading_config.yaml").write_text("trading:\n  execution_time: lunchtime\n")
    with pytest.raises(ConfigError, match="not one of"):
        YamlLayer(config_dir).load()


def test_the_same_key_in_two_files_is_an_error(config_dir):
    (config_dir / "config.yaml").write_text("trading:\n  baseline_symbol: SPY\n")
    (config_dir / "live_trading_config.yaml").write_text("trading:\n  baseline_symbol: QQQ\n")
    with pytest.raises(ConfigError, match="also set in"):
        YamlLayer(config_dir).load()


def test_yaml_changes_are_picked_up_without_restart(config_dir):
    path = config_dir / "config.yaml"
    path.write_text("performance:\n  risk_free_rate: 0.01\n")
    layer = YamlLayer(config_dir)
    assert layer.load()["performance.risk_free_rate"] == 0.01
    path.write_text("performance:\n  risk_free_rate: 0.02 # changed\n")
    assert layer.load()["performance.risk_free_rate"] == 0.02


def test_invalid_yaml_stops_settings_loading(tmp_path, config_dir):
    (config_dir / "config.yaml").write_text("app:\n  log_level: LOUD\n")
    with pytest.raises(ConfigError, match=r"app\.log_level"):
        load_settings(base_env(tmp_path, config_dir))


def test_environment_beats_yaml_for_log_level(tmp_path, config_dir):
    (config_dir / "config.yaml").write_text("app:\n  log_level: WARNING\n")
    assert load_settings(base_env(tmp_path, config_dir)).log_level == "WARNING"
    assert load_settings(base_env(tmp_path, config_dir, LOG_LEVEL="DEBUG")).log_level == "DEBUG"


# --- databases ------------------------------------------------------------------------------------


def test_database_url_then_postgres_variables_then_sqlite(tmp_path):
    default = tmp_path / "db.sqlite3"
    assert resolve_database_url({"DATABASE_URL": "sqlite:////x/y.db"}, default) == "sqlite:////x/y.db"
    env = {"POSTGRES_HOST": "db", "POSTGRES_USER": "jutsu", "POSTGRES_PASSWORD": "p@ss", "POSTGRES_DB": "labs"}
    assert resolve_database_url(env, default) == "postgresql://jutsu:p%40ss@db:5432/labs"
    assert resolve_database_url({}, default) == f"sqlite:///{default}"


def test_sqlite_gets_wal_and_postgres_gets_persistent_health_checked_connections(tmp_path):
    sqlite = database_config(f"sqlite:///{tmp_path}/sub/db.sqlite3")
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    assert (tmp_path / "sub").is_dir()
    postgres = database_config("postgresql://u:pw@h:5432/d")
    assert postgres["CONN_MAX_AGE"] > 0 and postgres["CONN_HEALTH_CHECKS"] is True


def test_the_asgi_web_process_does_not_keep_postgresql_connections(tmp_path):
    """Its request threads come and go: kept connections would pile up until PostgreSQL refuses clients."""
    probe = "import jutsu.asgi; from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    env = {**os.environ, "DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/d", "JUTSU_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("JUTSU_ASGI_PROCESS", None)
    web = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=ROOT)
    assert web.returncode == 0, web.stderr
    assert web.stdout.strip().splitlines()[-1] == "0"
    assert database_config("postgresql://u:pw@h:5432/d", persistent=False)["CONN_MAX_AGE"] == 0


def test_unparseable_database_url_is_reported_masked():
    with pytest.raises(ConfigError) as error:
        database_config("nosuchdb://user:secretpw@h/d")
    assert "secretpw" not in str(error.value)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://jutsu:s3cr3t@host:5432/db", "postgresql://jutsu:****@host:5432/db"),
        ("redis://:pw@localhost:6379/0", "redis://:****@localhost:6379/0"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("connect to postgres://a:b@c/d failed", "connect to postgres://a:****@c/d failed"),
    ],
)
def test_urls_are_masked(url, masked):
    assert mask_url(url) == masked


def test_passkey_origin_follows_the_local_port_outside_production(tmp_path, config_dir):
    settings = load_settings(base_env(tmp_path, config_dir, PORT="9000"))
    assert (settings.webauthn_rp_id, settings.webauthn_origin) == ("localhost", "http://localhost:9000")
    production = load_settings(
        base_env(tmp_path, config_dir, JUTSU_ENV="production", SECRET_KEY="k" * 64, ALLOWED_HOSTS="jutsu.example.com")
    )
    assert (production.webauthn_rp_id, production.webauthn_origin) == ("jutsu.example.com", "https://jutsu.example.com")
