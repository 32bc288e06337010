"""Encryption at rest for secrets we must be able to read back (TOTP seeds).

Keys come from ``settings.FERNET_KEYS`` (the ``FERNET_KEY`` secret, comma-separated for rotation:
the first key encrypts, all keys decrypt). In development and staging, when no key is set, one is
derived from ``SECRET_KEY`` with HKDF-SHA256 and a warning says so; production refuses to encrypt
or decrypt without a configured key.
"""

from __future__ import annotations

import base64
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

_HKDF_INFO = b"jutsu-labs accounts fernet v1"


class DecryptionError(Exception):
    """Ciphertext that none of the configured keys can open."""


def derive_development_key(secret_key: str) -> bytes:
    """A Fernet key derived from ``secret_key`` (HKDF-SHA256, fixed info string)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=4)
def _build(keys: tuple[str, ...], secret_key: str, production: bool) -> MultiFernet:
    if keys:
        try:
            return MultiFernet([Fernet(k.encode()) for k in keys])
        except ValueError as exc:
            raise ImproperlyConfigured(f"FERNET_KEY: not a valid Fernet key ({exc})") from None
    if production:
        raise ImproperlyConfigured(
            "FERNET_KEY is required in production (env, FERNET_KEY_FILE or /run/secrets/fernet_key); generate "
            "one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    logger.warning("FERNET_KEY is not set: using a key derived from SECRET_KEY (development only)")
    return MultiFernet([Fernet(derive_development_key(secret_key))])


def fernet() -> MultiFernet:
    """The platform's Fernet (cached per key set)."""
    return _build(tuple(settings.FERNET_KEYS), settings.SECRET_KEY, settings.JUTSU.is_production)


def encrypt_text(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("cannot decrypt: wrong or rotated-out FERNET_KEY") from None
