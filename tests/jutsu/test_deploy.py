"""Production settings pass Django's deployment checklist."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        JUTSU_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="jutsu.example.com",
        JUTSU_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "WARNINGS:" not in output and "ERRORS:" not in output, output


@pytest.mark.slow
def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_manage(
        "check", JUTSU_ENV="production", ALLOWED_HOSTS="jutsu.example.com", SECRET_KEY="", JUTSU_DATA_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required in production" in result.stderr


@pytest.mark.slow
def test_production_redirects_to_https_except_the_health_probes(tmp_path):
    code = (
        "from django.test import Client; c = Client(HTTP_HOST='jutsu.example.com'); "
        "print(c.get('/api/status/health').status_code, c.get('/api/status/ready').status_code, "
        "c.get('/api/config').status_code)"
    )
    env = {
        "JUTSU_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "jutsu.example.com",
        "JUTSU_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    assert run_manage("migrate", "--noinput", **env).returncode == 0
    result = run_manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    health, ready, config = result.stdout.split()[-3:]
    assert health == "200" and ready in {"200", "503"}  # answered over HTTP, not redirected
    assert config == "301"
