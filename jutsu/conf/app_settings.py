"""The one typed settings object: infrastructure from the environment, parameters through the resolver.

``load_settings()`` reads the process environment (and the YAML files for what YAML may set) once,
strictly: junk values, an unknown environment, a production deployment without ``SECRET_KEY`` or
with ``AUTH_REQUIRED=false`` are errors that name the variable. Django's ``settings.py`` is built
from this object; code that needs runtime trading parameters calls ``parameter()``, which resolves
env → override → YAML → default at call time.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jutsu.conf.database import mask_url, resolve_database_url
from jutsu.conf.env import env_bool, env_choice, env_int, env_list
from jutsu.conf.parameters import PARAMETERS
from jutsu.conf.secrets import get_secret
from jutsu.conf.yaml_config import YamlLayer
from jutsu.errors import ConfigError

ENVIRONMENTS = ("development", "staging", "production")
BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEV_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]


@dataclass(frozen=True)
class JutsuSettings:
    """Typed, validated settings of one process."""

    environment: str
    debug: bool
    secret_key: str = field(repr=False)
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    database_url: str = field(repr=False)
    redis_url: str | None = field(repr=False)
    log_level: str
    log_format: str
    use_daily_performance: bool
    disable_docs: bool
    auth_required: bool
    max_request_size: int
    trusted_proxies: list[str]
    data_dir: Path
    config_dir: Path
    webauthn_rp_id: str
    webauthn_rp_name: str
    webauthn_origin: str
    fernet_keys: list[str] = field(repr=False)
    schwab_callback_url: str = "https://127.0.0.1:8182"
    schwab_account_hash: str = field(default="", repr=False)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def embedded_jobs(self) -> bool:
        """True when no Redis is configured: jobs run through the embedded (file) broker."""
        return not self.redis_url

    @property
    def broker_url(self) -> str:
        return self.redis_url or "filesystem://"

    @property
    def safe_database_url(self) -> str:
        return mask_url(self.database_url)

    @property
    def safe_broker_url(self) -> str:
        return mask_url(self.broker_url)

    def parameter(self, name: str, *, strategy_id: str = "") -> Any:
        """The effective value of a runtime parameter (env → override → YAML → default)."""
        from jutsu.conf.resolver import resolve_value

        return resolve_value(name, strategy_id=strategy_id)

    # The trading parameters most code needs, typed.
    @property
    def execution_time(self) -> str:
        return self.parameter("trading.execution_time")

    @property
    def initial_capital(self):
        return self.parameter("trading.initial_capital")

    @property
    def commission_per_share(self):
        return self.parameter("trading.commission_per_share")

    @property
    def slippage(self) -> float:
        return self.parameter("trading.slippage")

    @property
    def risk_free_rate(self) -> float:
        return self.parameter("performance.risk_free_rate")


def _secret_key(env: Mapping[str, str], environment: str, data_dir: Path) -> str:
    key = get_secret("secret_key", "SECRET_KEY", environ=env)
    if key:
        if environment == "production" and len(key) < 50:
            raise ConfigError("SECRET_KEY must be at least 50 characters in production", key="SECRET_KEY")
        return key
    if environment == "production":
        raise ConfigError(
            "SECRET_KEY is required in production (env, SECRET_KEY_FILE or /run/secrets/secret_key)",
            key="SECRET_KEY",
        )
    # Development/staging: a key generated once per data directory, so sessions survive restarts.
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _default_origin(env: Mapping[str, str], rp_id: str, production: bool) -> str:
    """Production: https://<rp id>. Otherwise the local server (passkeys need a host name, not an IP)."""
    if production:
        return f"https://{rp_id}"
    return f"http://{rp_id}:{env_int(env, 'PORT', 8000, minimum=1)}"


def _schwab_callback_url(env: Mapping[str, str]) -> str:
    """The redirect URL registered with the Schwab app: Schwab only redirects to HTTPS URLs."""
    from urllib.parse import urlsplit

    url = (env.get("SCHWAB_CALLBACK_URL") or "https://127.0.0.1:8182").strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"{url!r} is not an https:// URL without query or fragment (Schwab redirects only to the exact "
            "HTTPS callback URL registered with the app, e.g. https://127.0.0.1:8182)",
            key="SCHWAB_CALLBACK_URL",
        )
    return url


def load_settings(environ: Mapping[str, str] | None = None, *, base_dir: Path = BASE_DIR) -> JutsuSettings:
    """Build the settings object from the environment and the YAML files."""
    env = os.environ if environ is None else environ
    environment = env_choice(env, "JUTSU_ENV", "development", ENVIRONMENTS)
    production = environment == "production"

    data_dir = Path(env.get("JUTSU_DATA_DIR") or base_dir / "var")
    config_dir = Path(env.get("JUTSU_CONFIG_DIR") or base_dir / "config")
    yaml_values = YamlLayer(config_dir).load()

    debug = env_bool(env, "DEBUG", False)
    if debug and production:
        raise ConfigError("DEBUG=true is refused in production", key="DEBUG")

    auth_required = env_bool(env, "AUTH_REQUIRED", True)
    if not auth_required and production:
        raise ConfigError("AUTH_REQUIRED=false is refused in production", key="AUTH_REQUIRED")

    allowed_hosts = env_list(env, "ALLOWED_HOSTS", [] if production else DEV_HOSTS)
    if production and not allowed_hosts:
        raise ConfigError("ALLOWED_HOSTS is required in production", key="ALLOWED_HOSTS")

    def from_chain(name: str) -> Any:
        parameter = PARAMETERS[name]
        raw = env.get(parameter.env_var or "", "").strip()
        if raw:
            return parameter.parse(raw, source=f"environment variable {parameter.env_var}")
        return yaml_values.get(name, parameter.default)

    rp_id = env.get("WEBAUTHN_RP_ID") or (allowed_hosts[0] if production else "localhost")
    fernet_raw = get_secret("fernet_key", "FERNET_KEY", environ=env) or ""
    fernet = [k.strip() for k in fernet_raw.split(",") if k.strip()]

    return JutsuSettings(
        environment=environment,
        debug=debug,
        secret_key=_secret_key(env, environment, data_dir),
        allowed_hosts=allowed_hosts,
        csrf_trusted_origins=env_list(env, "CSRF_TRUSTED_ORIGINS"),
        database_url=resolve_database_url(env, data_dir / "jutsu.sqlite3"),
        redis_url=get_secret("redis_url", "REDIS_URL", environ=env) or None,
        log_level=from_chain("app.log_level"),
        log_format=from_chain("app.log_format"),
        use_daily_performance=env_bool(env, "USE_DAILY_PERFORMANCE", True),
        disable_docs=env_bool(env, "DISABLE_DOCS", False),
        auth_required=auth_required,
        max_request_size=env_int(env, "MAX_REQUEST_SIZE", 10 * 1024 * 1024, minimum=1024),
        trusted_proxies=env_list(env, "TRUSTED_PROXIES"),
        data_dir=data_dir,
        config_dir=config_dir,
        webauthn_rp_id=rp_id,
        webauthn_rp_name=env.get("WEBAUTHN_RP_NAME", "Jutsu Labs"),
        webauthn_origin=env.get("WEBAUTHN_ORIGIN") or _default_origin(env, rp_id, production),
        fernet_keys=fernet,
        schwab_callback_url=_schwab_callback_url(env),
        schwab_account_hash=(get_secret("schwab_account_hash", "SCHWAB_ACCOUNT_HASH", environ=env) or "").strip(),
    )
