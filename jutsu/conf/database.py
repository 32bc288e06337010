"""Database selection: ``DATABASE_URL`` → ``POSTGRES_*`` → the embedded SQLite file.

Also the URL masking every log line uses (``postgresql://jutsu:****@host:5432/db``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import environ as django_environ

from jutsu.conf.secrets import get_secret
from jutsu.errors import ConfigError

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")


def mask_url(url: str) -> str:
    """Replace the password of every ``scheme://user:password@`` in ``url`` with ``****``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:****@", url)


def resolve_database_url(environ: Mapping[str, str], default_sqlite: Path) -> str:
    """Return the database URL to use.

    ``DATABASE_URL`` (or its secret file) wins; otherwise PostgreSQL from ``POSTGRES_HOST``/
    ``PORT``/``USER``/``PASSWORD``/``DB`` when ``POSTGRES_HOST`` is set; otherwise the embedded SQLite
    file.
    """
    url = get_secret("database_url", "DATABASE_URL", environ=environ)
    if url:
        return url
    host = environ.get("POSTGRES_HOST")
    if host:
        user = environ.get("POSTGRES_USER", "jutsu")
        password = get_secret("db_password", "POSTGRES_PASSWORD", environ=environ) or ""
        port = environ.get("POSTGRES_PORT", "5432")
        name = environ.get("POSTGRES_DB", "jutsu_labs")
        auth = quote(user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        return f"postgresql://{auth}@{host}:{port}/{name}"
    return f"sqlite:///{default_sqlite}"


def database_config(url: str, *, persistent: bool = True, conn_max_age: int = 600) -> dict[str, Any]:
    """Translate a database URL into a Django ``DATABASES['default']`` entry.

    SQLite gets WAL journaling, a busy timeout and IMMEDIATE transactions (several processes —
    web, worker, beat — write to one file in the embedded mode). PostgreSQL gets persistent
    connections with health checks when ``persistent`` (workers, beat, commands), one connection per
    request otherwise (the ASGI web process, whose request threads come and go).
    """
    try:
        config = django_environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises a bare Exception/KeyError on unknown schemes
        raise ConfigError(f"cannot parse database URL {mask_url(url)!r}: {exc}", key="DATABASE_URL") from None
    engine = config.get("ENGINE", "")
    if not (engine.endswith("sqlite3") or "postgresql" in engine):
        raise ConfigError(
            f"unsupported database in {mask_url(url)!r}: use sqlite:///path or postgresql://…", key="DATABASE_URL"
        )
    if engine.endswith("sqlite3"):
        name = config.get("NAME") or ""
        if name and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
        config["CONN_MAX_AGE"] = 0
    elif "postgresql" in engine:
        config["CONN_MAX_AGE"] = conn_max_age if persistent else 0
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return config
