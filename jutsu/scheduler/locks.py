"""A named lock in the database: one holder at a time across every process and machine.

A database row (not a Redis key) so that the lock works the same in the embedded mode and in
production, and survives a broker restart. A lock older than its timeout counts as abandoned
(its holder died) and may be taken over; so is a lock whose holder ran on this host in a process that no
longer exists (a worker killed mid-run), so that the job can be re-run at once instead of an hour later.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from jutsu.models import JobLock


def new_owner() -> str:
    """A unique owner id naming the host and process, for operators reading the lock table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lock_acquire(name: str, owner: str, *, timeout_seconds: int) -> bool:
    """Take the lock ``name`` for ``owner``; False when someone else holds a live lock."""
    now = timezone.now()
    expires = now + timedelta(seconds=timeout_seconds)
    try:
        with transaction.atomic():
            JobLock.objects.create(name=name, owner=owner, acquired_at=now, expires_at=expires)
        return True
    except IntegrityError:
        pass
    # Take over an abandoned lock: exactly one contender's conditional update succeeds.
    taken = JobLock.objects.filter(name=name, expires_at__lte=now).update(
        owner=owner, acquired_at=now, expires_at=expires
    )
    if taken == 1:
        return True
    holder = JobLock.objects.filter(name=name).values_list("owner", flat=True).first()
    if holder is None or not holder_is_dead(holder):
        return False
    taken = JobLock.objects.filter(name=name, owner=holder).update(owner=owner, acquired_at=now, expires_at=expires)
    return taken == 1


def holder_is_dead(owner: str) -> bool:
    """True when ``owner`` (``host:pid:…`` from :func:`new_owner`) ran on this host in a process that is gone."""
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def lock_release(name: str, owner: str) -> None:
    """Release ``name`` if ``owner`` still holds it."""
    JobLock.objects.filter(name=name, owner=owner).delete()


def lock_holder(name: str) -> JobLock | None:
    """The current lock row, if any."""
    return JobLock.objects.filter(name=name).first()
