"""Reads cached per data version: a daily-performance read is computed once per version of the rows and
served from Django's cache until a service writes rows again.

The version is :class:`performance.models.DataVersion`'s token, read from the database (one indexed row) on
each call, so every process — the web server, a Celery worker, a management command — agrees on it whatever the
cache backend: Redis (shared) or the embedded mode's per-process memory (each process fills its own). Keys
carry the token, so a write never has to delete anything; old entries expire (:data:`CACHE_SECONDS`) or are
evicted. Without a token (nothing written by a service yet) reads are not cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.core.cache import cache

from performance.models import DataVersion

T = TypeVar("T")

#: how long an entry outlives its version at most (it is never served after a write: the key changes)
CACHE_SECONDS = 24 * 60 * 60
_MISSING = object()


def data_version(name: str) -> str | None:
    """The data set's current token, or ``None`` before its first write. One query."""
    return DataVersion.objects.filter(name=name).values_list("token", flat=True).first()


def cached_read(name: str, read: str, args: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` for the current version of data set ``name``, from the cache when it was computed for this
    version already. ``read`` names the read and ``args`` its arguments (together they identify the result)."""
    token = data_version(name)
    if token is None:
        return compute()
    digest = hashlib.sha256(repr(args).encode()).hexdigest()[:32]
    key = f"jutsu:{name}:{token}:{read}:{digest}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
