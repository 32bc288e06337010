"""Celery beat's scheduler: django-celery-beat's database scheduler plus a beat heartbeat."""

from __future__ import annotations

import logging
import time

from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)


class HeartbeatDatabaseScheduler(DatabaseScheduler):
    """Records the beat heartbeat at most every ``JUTSU_HEARTBEAT_SECONDS`` from its tick loop."""

    _last_heartbeat = 0.0

    def setup_schedule(self):
        from jutsu.celery import prepare_process
        from jutsu.scheduler.schedules import schedules_sync

        prepare_process()
        schedules_sync()
        super().setup_schedule()
        self._heartbeat(force=True)

    def tick(self, *args, **kwargs):
        self._heartbeat()
        self._expire_overrides()
        interval = super().tick(*args, **kwargs)
        from django.conf import settings

        return min(interval, settings.JUTSU_HEARTBEAT_SECONDS)

    _last_expiry_check = 0.0

    def _expire_overrides(self) -> None:
        """Safety net for the task queued at each override's expiry (a lost message, a worker that was down):
        at most once per heartbeat interval, expire overdue overrides — which re-syncs the schedules."""
        from django.conf import settings

        from jutsu.services.config_overrides import config_overrides_expire

        now = time.monotonic()
        if now - self._last_expiry_check < settings.JUTSU_HEARTBEAT_SECONDS:
            return
        self._last_expiry_check = now
        try:  # the heartbeat just before in the same tick has refreshed stale database connections
            config_overrides_expire()
        except Exception:
            logger.warning("expiring config overrides failed; the next tick retries", exc_info=True)

    def _heartbeat(self, force: bool = False) -> None:
        from django.conf import settings
        from django.db import close_old_connections

        from jutsu.scheduler.heartbeat import heartbeat_beat

        now = time.monotonic()
        if not force and now - self._last_heartbeat < settings.JUTSU_HEARTBEAT_SECONDS:
            return
        try:
            close_old_connections()
            heartbeat_beat("beat")
            self._last_heartbeat = now
        except Exception:
            logger.warning("beat heartbeat could not be written", exc_info=True)
