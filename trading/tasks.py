"""Celery tasks of the trading app. Thin: take primitives, call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from trading.delivery import MAX_RETRIES, notification_deliver, retry_delay

logger = logging.getLogger(__name__)


@shared_task(name="trading.tasks.notify_deliver_task", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def notify_deliver_task(self, message: dict, target_index: int, fingerprint: str) -> dict:
    """Deliver one rendered notification to one ``NOTIFY_URLS`` target; retry with backoff, then give up (logged).

    Never raises for a failed delivery: a notification is not worth a failed task in anyone's logs twice.
    """
    attempt = self.request.retries + 1
    try:
        outcome = notification_deliver(message, target_index=target_index, fingerprint=fingerprint)
    except Exception as exc:  # a plugin bug or network oddity: treat as transient
        logger.warning("notification %s to target %s raised %s", message.get("kind"), target_index + 1, exc)
        delivered, retry, detail = False, True, f"{type(exc).__name__}: {exc}"
    else:
        delivered, retry, detail = outcome.delivered, outcome.retry, outcome.detail
    if delivered:
        logger.info("notification %s: %s (attempt %s)", message.get("kind"), detail, attempt)
    elif retry and self.request.retries < self.max_retries:
        delay = retry_delay(self.request.retries)
        kind = message.get("kind")
        logger.warning("notification %s: %s; retrying in %s s (attempt %s)", kind, detail, delay, attempt)
        raise self.retry(countdown=delay)
    else:
        logger.error("notification %s not delivered: %s (after %s attempt(s))", message.get("kind"), detail, attempt)
    return {"kind": message.get("kind"), "target": target_index + 1, "delivered": delivered, "attempts": attempt}
