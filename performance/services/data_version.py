"""Bumping a data set's version: called inside every transaction that writes daily performance.

The token changes with the rows, atomically, so readers that see the new token see the new rows (and readers
that still see the old token read the old rows, which is what is cached under it). See
:class:`performance.models.DataVersion` and :mod:`performance.cache`.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from performance.models import DAILY_PERFORMANCE_DATA, DataVersion


def data_version_bump(name: str = DAILY_PERFORMANCE_DATA) -> str:
    """Give the data set ``name`` a new random token (creating its row on the first write); returns the token.

    Call it inside the writing transaction: a rolled-back write leaves the old token, and the cache with it.
    """
    token = uuid.uuid4().hex
    # one upsert (INSERT … ON CONFLICT DO UPDATE): no read first, no race between two first writers
    DataVersion.objects.bulk_create(
        [DataVersion(name=name, token=token, changed_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["token", "changed_at"],
    )
    return token
