"""Live events: build versioned payloads and publish them to every open dashboard.

``publish`` may be called from the web process, a Celery worker or a management command. With the
Redis channel layer every process reaches the sockets directly. With the in-memory layer (the
embedded mode) only the web process can, so other processes write the event to
``LiveEventOutbox`` and the web process relays it (``outbox_relay``). Events inside a transaction
are sent only after it commits.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"
EVENT_VERSION = 1
EVENT_TYPES = ("trade_executed", "regime_change", "data_refresh", "error", "job_status")
_web_process = False
_relay_task: asyncio.Task | None = None


def mark_web_process() -> None:
    """Called by the ASGI application: this process owns the sockets."""
    global _web_process
    _web_process = True


def build_event(event_type: str, payload: dict[str, Any], *, at: datetime | None = None) -> dict[str, Any]:
    """A JSON-ready event: ``type``, ``timestamp`` (UTC ISO-8601), ``version`` and the payload."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return {"type": event_type, "timestamp": (at or timezone.now()).isoformat(), "version": EVENT_VERSION, **payload}


def _needs_outbox(layer) -> bool:
    return isinstance(layer, InMemoryChannelLayer) and not _web_process


def send_now(event: dict[str, Any], *, group: str = DASHBOARD_GROUP) -> None:
    """Deliver ``event`` immediately (no transaction handling)."""
    layer = get_channel_layer()
    if layer is None:
        return
    if _needs_outbox(layer):
        from jutsu.models import LiveEventOutbox

        LiveEventOutbox.objects.create(group=group, payload=event)
        return
    async_to_sync(layer.group_send)(group, {"type": "live.event", "event": event})


def publish(event_type: str, payload: dict[str, Any], *, group: str = DASHBOARD_GROUP) -> dict[str, Any]:
    """Build an event and send it after the current transaction commits (at once outside one)."""
    event = build_event(event_type, payload)

    def deliver() -> None:
        try:
            send_now(event, group=group)
        except Exception:  # a live-update failure must never break the job or request that sent it
            logger.exception("could not publish %s event", event_type)

    transaction.on_commit(deliver)
    return event


async def _relay_loop(interval: float) -> None:
    from channels.db import database_sync_to_async

    from jutsu.models import LiveEventOutbox

    @database_sync_to_async
    def latest_id() -> int:
        row = LiveEventOutbox.objects.order_by("-id").values_list("id", flat=True).first()
        return row or 0

    @database_sync_to_async
    def fetch(after: int) -> list[tuple[int, str, dict]]:
        return list(
            LiveEventOutbox.objects.filter(id__gt=after).order_by("id").values_list("id", "group", "payload")[:500]
        )

    layer = get_channel_layer()
    last = await latest_id()
    while True:
        try:
            for row_id, group, payload in await fetch(last):
                await layer.group_send(group, {"type": "live.event", "event": payload})
                last = row_id
        except Exception:
            logger.exception("live-event relay failed; retrying")
        await asyncio.sleep(interval)


def ensure_outbox_relay(interval: float = 1.0) -> None:
    """Start the outbox relay in this (web) process's event loop, once; no-op with Redis."""
    global _relay_task
    if not isinstance(get_channel_layer(), InMemoryChannelLayer):
        return
    if _relay_task is None or _relay_task.done():
        _relay_task = asyncio.get_running_loop().create_task(_relay_loop(interval))
