"""Single-use 2FA backup codes, stored hashed (scrypt with a per-batch random salt).

Ten codes of ten characters from a 31-symbol alphabet (about 49 bits each), shown once as
``xxxxx-xxxxx``. Checking a code costs one scrypt derivation (the salt is shared by the batch),
then constant-time comparisons; a conditional update makes each code usable exactly once even
when two requests race.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from accounts import selectors
from accounts.models import BackupCode

CODE_COUNT = 10
CODE_LENGTH = 10
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/1/i/l/o: read aloud and typed without confusion
_SCRYPT = {"n": 2**13, "r": 8, "p": 1, "dklen": 32}  # ~50 ms, 8 MB per derivation


def _normalise(code: str) -> str | None:
    text = "".join(ch for ch in (code or "").lower() if ch not in " -")
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def _hash(code: str, salt_hex: str) -> str:
    return hashlib.scrypt(code.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT).hex()


def _format(code: str) -> str:
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def backup_codes_generate(*, user) -> list[str]:
    """Replace ``user``'s backup codes with ten new ones; returns them (the only time they are shown)."""
    salt = secrets.token_hex(16)
    codes: set[str] = set()
    while len(codes) < CODE_COUNT:
        codes.add("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))
    now = timezone.now()
    with transaction.atomic():
        BackupCode.objects.filter(user_id=user.pk).delete()
        BackupCode.objects.bulk_create(
            BackupCode(user_id=user.pk, salt=salt, code_hash=_hash(code, salt), created_at=now) for code in codes
        )
    return sorted(_format(code) for code in codes)


def backup_codes_generate_if_none(*, user) -> list[str]:
    """New backup codes when ``user`` has none at all (a first second factor); ``[]`` otherwise.

    Codes that exist — even all used — are left alone: the user replaces them on purpose.
    """
    if BackupCode.objects.filter(user_id=user.pk).exists():
        return []
    return backup_codes_generate(user=user)


def backup_code_use(*, user, code: str) -> bool:
    """Consume one unused backup code of ``user``; False when it is wrong or already used."""
    normalised = _normalise(code)
    if normalised is None:
        return False
    rows = list(BackupCode.objects.filter(user_id=user.pk, used_at__isnull=True).only("pk", "salt", "code_hash"))
    digests: dict[str, str] = {}
    for row in rows:
        digest = digests.setdefault(row.salt, _hash(normalised, row.salt))
        if hmac.compare_digest(digest, row.code_hash):
            claimed = BackupCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now())
            return claimed == 1
    return False


def backup_codes_delete_if_unused(*, user) -> None:
    """Delete ``user``'s backup codes once no second factor is left: they would be meaningless."""
    if not selectors.mfa_enrolled(user):
        BackupCode.objects.filter(user_id=user.pk).delete()
