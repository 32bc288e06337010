"""Feature flags (AUTH_REQUIRED, DISABLE_DOCS), Argon2 hashing and the Fernet key rules."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ImproperlyConfigured
from django.urls import clear_url_caches

from accounts import crypto
from jutsu.conf.app_settings import load_settings
from jutsu.errors import ConfigError

pytestmark = pytest.mark.django_db


# --- AUTH_REQUIRED=false: anonymous read-only viewer, development only --------------------------------


def test_without_auth_required_anonymous_reads_but_never_writes_or_administers(settings, anon_api, client):
    settings.AUTH_REQUIRED = False
    assert anon_api.get("/api/schema/").status_code == 200  # status:read
    assert anon_api.get("/api/users").status_code == 401  # users:manage
    assert anon_api.post("/api/users/invite", {"role": "admin"}, format="json").status_code == 401
    assert anon_api.get("/api/auth/me").status_code == 401  # a person, not the anonymous viewer
    assert anon_api.post("/api/2fa/setup").status_code == 401  # self:* needs an account
    assert client.get("/accounts/").status_code == 302


def test_auth_required_false_is_refused_in_production(tmp_path):
    environ = {
        "JUTSU_ENV": "production",
        "AUTH_REQUIRED": "false",
        "SECRET_KEY": "x" * 64,
        "ALLOWED_HOSTS": "jutsu.example.com",
        "JUTSU_DATA_DIR": str(tmp_path),
    }
    with pytest.raises(ConfigError, match="AUTH_REQUIRED=false is refused in production"):
        load_settings(environ)


# --- DISABLE_DOCS ------------------------------------------------------------------------------------


def _fresh_urlconf(name: str):
    spec = importlib.util.find_spec("jutsu.urls")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_disable_docs_hides_the_schema_and_the_docs(settings, admin_client):
    assert admin_client.get("/api/schema/").status_code == 200
    settings.DISABLE_DOCS = True
    try:
        settings.ROOT_URLCONF = _fresh_urlconf("jutsu_urls_without_docs")
        clear_url_caches()
        assert admin_client.get("/api/schema/").status_code == 404
        assert admin_client.get("/api/docs/").status_code == 404
        assert admin_client.get("/api/auth/status").status_code == 200
    finally:
        sys.modules.pop("jutsu_urls_without_docs", None)
        clear_url_caches()


# --- passwords -----------------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = settings.REAL_PASSWORD_HASHERS
    encoded = make_password("Correct-Horse-Battery-9")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("Correct-Horse-Battery-9", encoded)


# --- Fernet keys ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_fernet():
    crypto._build.cache_clear()
    yield
    crypto._build.cache_clear()


def test_a_configured_key_encrypts_and_rotation_keeps_old_ciphertexts_readable(settings, fresh_fernet):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    token = crypto.encrypt_text("JBSWY3DPEHPK3PXP")
    crypto._build.cache_clear()
    settings.FERNET_KEYS = [new, old]
    assert crypto.decrypt_text(token) == "JBSWY3DPEHPK3PXP"
    assert Fernet(new.encode()).decrypt(crypto.encrypt_text("x").encode()) == b"x"


def test_development_without_a_key_derives_one_from_secret_key_and_says_so(settings, fresh_fernet, caplog):
    settings.FERNET_KEYS = []
    token = crypto.encrypt_text("seed")
    assert "derived from SECRET_KEY" in caplog.text
    assert Fernet(crypto.derive_development_key(settings.SECRET_KEY)).decrypt(token.encode()) == b"seed"


def test_production_without_a_key_refuses_to_encrypt(settings, fresh_fernet, monkeypatch):
    settings.FERNET_KEYS = []
    monkeypatch.setattr(type(settings.JUTSU), "is_production", property(lambda self: True))
    with pytest.raises(ImproperlyConfigured, match="FERNET_KEY is required in production"):
        crypto.encrypt_text("seed")


def test_a_ciphertext_from_another_key_is_an_error(settings, fresh_fernet):
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    token = crypto.encrypt_text("seed")
    crypto._build.cache_clear()
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(token)


# --- housekeeping -----------------------------------------------------------------------------------------


def test_housekeeping_purges_expired_challenges_and_refresh_tokens(api, viewer_user, password):
    from datetime import timedelta
    from types import SimpleNamespace

    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.jobs import purge_auth_ceremonies, purge_expired_refresh_tokens
    from accounts.models import AuthChallenge
    from accounts.services.passkeys import passkey_registration_begin

    passkey_registration_begin(user=viewer_user)
    api.post("/api/auth/login", {"username": "viewer", "password": password}, format="json")
    later = SimpleNamespace(as_of=timezone.now() + timedelta(days=8))
    assert purge_auth_ceremonies(later).startswith("1 ")
    assert purge_expired_refresh_tokens(later).startswith("1 ")
    assert not AuthChallenge.objects.exists() and not OutstandingToken.objects.exists()
