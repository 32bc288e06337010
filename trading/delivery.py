"""Delivering notifications to people through Apprise (``NOTIFY_URLS``).

``NOTIFY_URLS`` is a comma-separated list of Apprise URLs (``slack://…``, ``discord://…``, ``json://host/path``,
``mailto://…`` — any of Apprise's services), resolved as a secret (``/run/secrets/notify_urls``,
``NOTIFY_URLS_FILE``, ``NOTIFY_URLS``). :func:`notify_queue` is the sender registered with ``trading.notify``:
it renders the notification once (title and Markdown body with the strategy's context) and queues one
:func:`trading.tasks.notify_deliver_task` **per target**, so each target succeeds, retries or fails on its own.

Delivery is always done by a Celery worker, never inline: the job that notified does not wait for a slow
webhook, and a failing target never fails it. A notification queued while no worker runs (``run_job`` from the
command line) waits in the broker — Redis, or the embedded file broker under ``JUTSU_DATA_DIR`` — until a
worker starts (``manage.py serve`` starts one); the task has no expiry. The URLs themselves never travel
through the broker: a task carries the target's position and a fingerprint, and the worker resolves the
secret again (a target whose URL changed meanwhile is dropped with a warning).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from jutsu.conf.secrets import get_secret
from trading.notify import Notification

logger = logging.getLogger(__name__)

#: Delivery attempts after the first one, and their backoff: 30 s, 60 s, 2 min, 4 min, 8 min, 15 min (cap).
MAX_RETRIES = 6
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 900

#: Apprise's message type per notification kind (colours/icons on Slack, Discord …).
_TYPES = {
    "trade_executed": "success",
    "regime_change": "info",
    "validation_red": "warning",
    "token_expiry": "warning",
    "slippage": "warning",
    "reconciliation_mismatch": "failure",
    "strategy_not_traded": "failure",
    "job_failure": "failure",
}


def notify_targets() -> list[str]:
    """The configured Apprise URLs (``NOTIFY_URLS``, a secret), in order; empty when none is set."""
    raw = get_secret("notify_urls", "NOTIFY_URLS") or ""
    return [url.strip() for url in raw.split(",") if url.strip()]


def target_fingerprint(url: str) -> str:
    """A short digest naming a target without revealing it (carried by the queued task)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def target_label(url: str) -> str:
    """The target for log lines: Apprise's privacy form (passwords and tokens masked), or its scheme."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    return plugin.url(privacy=True) if plugin else f"{url.split('://', 1)[0]}://…"


def notify_targets_invalid() -> list[int]:
    """Positions (1-based) of ``NOTIFY_URLS`` entries that Apprise does not understand."""
    import apprise

    return [n for n, url in enumerate(notify_targets(), start=1) if apprise.Apprise.instantiate(url) is None]


def retry_delay(retries: int) -> int:
    """Seconds before attempt ``retries + 2``: ``RETRY_BASE_SECONDS × 2^retries`` capped at ``RETRY_CAP_SECONDS``."""
    return min(RETRY_BASE_SECONDS * 2**retries, RETRY_CAP_SECONDS)


# ── rendering ─────────────────────────────────────────────────────────────────────────────────────


def _display_name(strategy_id: str) -> str:
    from strategies.models import Strategy

    return Strategy.objects.filter(strategy_id=strategy_id).values_list("display_name", flat=True).first() or ""


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _regime_line(regime: dict[str, Any] | None) -> str:
    if not regime:
        return ""
    labels = (
        ("cell", "cell"),
        ("strategy_cell", "cell"),
        ("trend_state", "trend"),
        ("vol_state", "vol"),
        ("t_norm", "T_norm"),
        ("z_score", "z"),
    )
    parts = [f"{label} {_fmt(regime[key])}" for key, label in labels if regime.get(key) not in (None, "")]
    return " · ".join(parts)


def _context_lines(notification: Notification) -> list[str]:
    context = notification.context or {}
    kind = notification.kind
    lines: list[str] = []
    if kind == "trade_executed":
        lines.append(
            f"{context.get('action')} {context.get('quantity')} {context.get('symbol')} at {context.get('fill_price')}"
            f" (target {context.get('target_price')}, commission {context.get('commission')}) — {context.get('reason')}"
        )
        if context.get("realized_pnl") is not None:
            lines.append(f"Realised P&L: {context['realized_pnl']}")
        lines.append(_regime_line(context.get("context")))
    elif kind == "regime_change":
        lines.append(f"Before: {_regime_line(context.get('old')) or 'no regime'}")
        lines.append(f"After: {_regime_line(context.get('new'))}")
    elif kind == "validation_red":
        lines.append(f"Morning: {_regime_line(context.get('morning'))} → targets {context.get('morning_targets')}")
        lines.append(f"Final bars: {_regime_line(context.get('final'))} → targets {context.get('final_targets')}")
    else:
        for key, value in context.items():
            if isinstance(value, (str, int, float)) and value != "":
                lines.append(f"{key.replace('_', ' ')}: {_fmt(value)}")
    return [line for line in lines if line]


def notification_render(notification: Notification) -> dict[str, str]:
    """Title, Markdown body and Apprise type of ``notification`` (with the strategy's display name and mode)."""
    header = ""
    if notification.strategy_id:
        name = _display_name(notification.strategy_id)
        header = f"**{notification.strategy_id}**" + (f" — {name}" if name else "")
        if notification.mode:
            header += f" · mode `{notification.mode}`"
    body = "\n\n".join(part for part in (header, notification.body, "\n".join(_context_lines(notification))) if part)
    return {
        "kind": notification.kind,
        "title": notification.title,
        "body": body,
        "type": _TYPES.get(notification.kind, "info"),
    }


# ── queueing and delivery ─────────────────────────────────────────────────────────────────────────


def notify_queue(notification: Notification) -> int:
    """The sender of ``trading.notify``: queue one delivery task per configured target. Returns the tasks queued."""
    from trading.tasks import notify_deliver_task

    targets = notify_targets()
    if not targets:
        return 0
    message = notification_render(notification)
    for index, url in enumerate(targets):
        notify_deliver_task.apply_async(args=[message, index, target_fingerprint(url)], queue="default")
    return len(targets)


@dataclass(frozen=True)
class Delivery:
    """The outcome of one attempt: ``delivered``, or ``retry`` (worth another attempt), or dropped."""

    delivered: bool
    retry: bool
    detail: str


def notification_deliver(message: dict[str, str], *, target_index: int, fingerprint: str) -> Delivery:
    """Send ``message`` (from :func:`notification_render`) to one configured target, once."""
    import apprise

    targets = notify_targets()
    url = targets[target_index] if 0 <= target_index < len(targets) else None
    if url is None or target_fingerprint(url) != fingerprint:
        return Delivery(False, False, "NOTIFY_URLS changed since the notification was queued; not sent")
    client = apprise.Apprise()
    if not client.add(url):
        return Delivery(False, False, f"NOTIFY_URLS entry {target_index + 1} is not a valid Apprise URL")
    sent = client.notify(
        body=message["body"],
        title=message["title"],
        notify_type=message["type"],
        body_format=apprise.NotifyFormat.MARKDOWN,
    )
    if sent:
        return Delivery(True, False, f"delivered to {target_label(url)}")
    return Delivery(False, True, f"{target_label(url)} did not accept the notification")
