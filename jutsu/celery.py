"""The Celery application: Redis broker in production, a local file broker in the embedded mode.

Workers report a heartbeat every ``JUTSU_HEARTBEAT_SECONDS`` through a bootstep timer; beat
reports from its scheduler (``jutsu.beat``). Both wait for the database with exponential backoff
before they start (ADR-06).
"""

from __future__ import annotations

import logging
import os

from celery import Celery, bootsteps
from celery.signals import beat_init, before_task_publish, worker_init, worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jutsu.settings")

app = Celery("jutsu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def _prepare_embedded_broker() -> None:
    from django.conf import settings

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


class HeartbeatStep(bootsteps.StartStopStep):
    """Write the worker heartbeat on start and then periodically from the worker's timer."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        self._beat(worker)
        self.tref = worker.timer.call_repeatedly(settings.JUTSU_HEARTBEAT_SECONDS, self._beat, (worker,), priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    @staticmethod
    def _beat(worker):
        from django.db import close_old_connections

        from jutsu.scheduler.heartbeat import heartbeat_beat

        try:
            close_old_connections()
            heartbeat_beat("worker", hostname=worker.hostname)
        except Exception:  # the database may be briefly away; the next beat retries
            logger.warning("worker heartbeat could not be written", exc_info=True)
        finally:
            # The worker's main process forks pool processes: hold no connection between beats.
            from django.db import connections

            connections.close_all()


app.steps["worker"].add(HeartbeatStep)


@worker_init.connect
def _on_worker_init(**kwargs):
    prepare_process()  # broker folders; wait for the database with backoff before consuming


@before_task_publish.connect
def _on_before_task_publish(**kwargs):
    # Any process may queue a task (a web request, ``run_job`` from the command line): the embedded file
    # broker needs its folders before the first message is written, even if no worker ever ran here.
    _prepare_embedded_broker()


@worker_ready.connect
def _on_worker_ready(sender=None, **kwargs):
    logger.info("worker ready (broker %s)", app.conf.broker_url and _masked(app.conf.broker_url))


@worker_process_init.connect
def _on_worker_process_init(**kwargs):
    # A forked pool process must not use, nor close, a connection inherited from its parent
    # (closing would end the parent's session too): drop the handles and connect afresh.
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.connection = None


@beat_init.connect
def _on_beat_init(sender=None, **kwargs):
    logger.info("beat starting (broker %s)", _masked(app.conf.broker_url))


def _masked(url: str) -> str:
    from jutsu.conf.database import mask_url

    return mask_url(url)


def prepare_process() -> None:
    """Start-up for worker and beat: broker folders and waiting for the database."""
    from jutsu.startup import wait_for_database

    _prepare_embedded_broker()
    wait_for_database()
