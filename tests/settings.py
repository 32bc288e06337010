"""Settings for the test suite: the real settings, isolated data directory, fast password hashing."""

import os
import tempfile

os.environ.setdefault("JUTSU_DATA_DIR", tempfile.mkdtemp(prefix="jutsu-test-"))
os.environ.setdefault("JUTSU_ENV", "development")

from jutsu.settings import *  # noqa: F403
from jutsu.settings import PASSWORD_HASHERS as _REAL_HASHERS

# Argon2 is verified by its own test; everything else hashes fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *_REAL_HASHERS]
REAL_PASSWORD_HASHERS = _REAL_HASHERS

# The passkey relying party follows $PORT outside tests; the suite's software authenticator signs for
# this fixed origin whatever port a surrounding server uses.
WEBAUTHN_RP_ID = "localhost"
WEBAUTHN_ORIGIN = "http://localhost:8000"

# A broken equity listener (trading.equity) fails the test instead of being logged.
EQUITY_LISTENER_ERRORS_RAISE = True
