"""Secret resolution: Docker secrets, ``<VAR>_FILE``, ``<VAR>``, then a default.

One function, used for every secret the platform reads (SECRET_KEY, database password, Fernet key,
broker credentials, webhook URLs), so that production can mount secrets as files while development
keeps using plain environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SECRETS_DIR = Path("/run/secrets")


def get_secret(
    name: str,
    env_var: str | None = None,
    default: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    secrets_dir: Path | None = None,
) -> str | None:
    """Return a secret, resolving highest first.

    1. the file ``/run/secrets/<name>`` (Docker/Swarm secrets);
    2. the file named by the ``<ENV_VAR>_FILE`` environment variable;
    3. the ``<ENV_VAR>`` environment variable;
    4. ``default``.

    ``env_var`` defaults to ``name.upper()``. Trailing newlines of secret files are stripped.
    A ``*_FILE`` variable naming a file that does not exist is an error, not a silent fallback.
    """
    env = os.environ if environ is None else environ
    var = env_var or name.upper()
    directory = SECRETS_DIR if secrets_dir is None else secrets_dir

    docker_secret = directory / name
    if docker_secret.is_file():
        return docker_secret.read_text().rstrip("\r\n")

    file_var = f"{var}_FILE"
    if env.get(file_var):
        path = Path(env[file_var])
        if not path.is_file():
            raise FileNotFoundError(f"{file_var} points to {path}, which is not a readable file")
        return path.read_text().rstrip("\r\n")

    value = env.get(var)
    if value not in (None, ""):
        return value
    return default
