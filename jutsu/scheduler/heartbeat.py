"""Worker and beat heartbeats: written by the processes, read by ``/api/status/ready``."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from jutsu.models import ServiceHeartbeat, ServiceKind


def heartbeat_beat(service: str, *, hostname: str | None = None) -> None:
    """Record that ``service`` (worker or beat) on this host is alive now."""
    hostname = (hostname or socket.gethostname())[:200]
    now = timezone.now()
    updated = ServiceHeartbeat.objects.filter(service=service, hostname=hostname).update(
        last_seen_at=now, pid=os.getpid()
    )
    if not updated:
        try:
            with transaction.atomic():
                ServiceHeartbeat.objects.create(
                    service=service, hostname=hostname, pid=os.getpid(), started_at=now, last_seen_at=now
                )
        except IntegrityError:  # created concurrently; the update path wins next time
            pass


@dataclass(frozen=True)
class HeartbeatStatus:
    service: str
    alive: bool
    last_seen_at: datetime | None
    hosts: list[str]

    def as_dict(self) -> dict:
        return {
            "ok": self.alive,
            "last_seen_at": self.last_seen_at.isoformat() if self.last_seen_at else None,
            "hosts": self.hosts,
        }


def heartbeat_status(service: str, *, stale_after_seconds: int, now: datetime | None = None) -> HeartbeatStatus:
    """Whether any process of ``service`` has reported within ``stale_after_seconds``."""
    now = now or timezone.now()
    fresh_since = now - timedelta(seconds=stale_after_seconds)
    rows = list(ServiceHeartbeat.objects.filter(service=service).order_by("-last_seen_at"))
    latest = rows[0].last_seen_at if rows else None
    alive_hosts = [row.hostname for row in rows if row.last_seen_at >= fresh_since]
    return HeartbeatStatus(service, bool(alive_hosts), latest, alive_hosts)


SERVICES = (ServiceKind.WORKER, ServiceKind.BEAT)
