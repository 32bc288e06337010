"""The one call point through which live trading asks for a notification.

Trading code calls the ``notify_*`` functions below at the moments the spec names (a trade executed, a regime
change, a strategy not traded, a failed trading run). Each builds a :class:`Notification` — a title, a plain
text body naming the strategy, and its context — and hands it to :func:`notify_send`.

:func:`notify_send` logs the notification and hands it to the registered senders; the ones that report a problem
also go out as an ``error`` live event (built and published by the caller of ``notify_send``, below). Delivery to
people is ``trading.delivery.notify_queue`` (Apprise: ``NOTIFY_URLS``, one Celery task per target with retries),
registered in ``trading/apps.py``. Notifications are sent after the surrounding transaction commits and never
raise into the caller. Failed runs of any scheduled job are reported through the job framework's failure hook
(:func:`notify_job_run_failed`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from trading import events

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    """What to tell people: ``kind`` (``trade_executed``, ``regime_change``, ``strategy_not_traded``,
    ``job_failure``, ``slippage``, ``token_expiry``, ``reconciliation_mismatch``, ``validation_red``), a one-line
    ``title``, a ``body`` and the structured ``context``."""

    kind: str
    title: str
    body: str
    strategy_id: str = ""
    mode: str = ""
    context: dict[str, Any] = field(default_factory=dict)


Sender = Callable[[Notification], None]
_senders: list[Sender] = []


def notify_sender_register(sender: Sender) -> None:
    """Add a delivery channel (called with every notification after commit; errors are logged)."""
    if sender not in _senders:
        _senders.append(sender)


_muted = threading.local()


@contextmanager
def notifications_muted() -> Iterator[None]:
    """Within the block notifications are logged but not delivered (the demo's replay of past months)."""
    previous = getattr(_muted, "on", False)
    _muted.on = True
    try:
        yield
    finally:
        _muted.on = previous


def notify_send(notification: Notification) -> None:
    """Log ``notification`` and hand it to the registered senders once the current transaction commits."""
    muted = getattr(_muted, "on", False)

    def deliver() -> None:
        logger.info("notification %s: %s — %s", notification.kind, notification.title, notification.body)
        if muted:
            return
        for sender in list(_senders):
            try:
                sender(notification)
            except Exception:  # a failing channel never fails the job that notified
                logger.exception("notification sender %r failed for %s", sender, notification.kind)

    transaction.on_commit(deliver)


def notify_trade_executed(trade) -> None:
    """A fill was recorded (``trade`` is a ``LiveTrade``)."""
    context = events.trade_payload(trade)
    cell = f", cell {trade.strategy_cell}" if trade.strategy_cell is not None else ""
    notify_send(
        Notification(
            kind="trade_executed",
            title=f"{trade.strategy_id} ({trade.mode}): {trade.action} {trade.quantity:f} {trade.symbol}",
            body=(
                f"{trade.strategy_id} {trade.action} {trade.quantity:f} {trade.symbol} at {trade.fill_price} "
                f"(target {trade.target_price}, slippage {trade.slippage_pct:+.3f}%) — {trade.reason}{cell}"
            ),
            strategy_id=trade.strategy_id,
            mode=trade.mode,
            context=context,
        )
    )


def notify_regime_change(
    *, strategy_id: str, mode: str, trading_date: date, old: dict[str, Any] | None, new: dict[str, Any]
) -> None:
    """The strategy's cell changed from the previous trading day."""
    before = f"cell {old.get('cell')} ({old.get('trend_state')}/{old.get('vol_state')})" if old else "no regime"
    after = f"cell {new.get('cell')} ({new.get('trend_state')}/{new.get('vol_state')})"
    notify_send(
        Notification(
            kind="regime_change",
            title=f"{strategy_id} ({mode}): regime {before} → {after}",
            body=f"{strategy_id} on {trading_date}: {before} → {after}",
            strategy_id=strategy_id,
            mode=mode,
            context={"trading_date": trading_date.isoformat(), "old": old, "new": new},
        )
    )


def notify_strategy_not_traded(*, strategy_id: str, mode: str, trading_date: date, reason: str) -> None:
    """The trading job did not trade a strategy today (stale data, a refused day, an error, a timeout)."""
    message = f"{strategy_id} ({mode}) was not traded on {trading_date}: {reason}"
    events.error_publish(
        message, source="daily_trading", strategy_id=strategy_id, mode=mode, details={"reason": reason}
    )
    notify_send(
        Notification(
            kind="strategy_not_traded",
            title=f"{strategy_id} ({mode}) not traded on {trading_date}",
            body=message,
            strategy_id=strategy_id,
            mode=mode,
            context={"trading_date": trading_date.isoformat(), "reason": reason},
        )
    )


def notify_job_failure(*, job: str, trading_date: date, error: str) -> None:
    """A scheduled job (the trading run) failed as a whole."""
    message = f"{job} failed on {trading_date}: {error}"
    events.error_publish(message, source=job, details={"trading_date": trading_date.isoformat()})
    notify_send(
        Notification(
            kind="job_failure",
            title=f"{job} failed on {trading_date}",
            body=message,
            context={"job": job, "trading_date": trading_date.isoformat(), "error": error},
        )
    )


def notify_job_run_failed(run) -> None:
    """Job-framework hook (``jutsu.scheduler.runner.job_failure_listener``): any scheduled job ended ``failed``."""
    notify_job_failure(job=run.job_name, trading_date=run.trading_date, error=run.error or run.message)


def notify_validation_red(
    *, strategy_id: str, mode: str, trading_date: date, morning: dict[str, Any], final: dict[str, Any]
) -> None:
    """Post-close validation: the decision on the day's final bars lands in a different cell (grade RED).

    ``morning`` / ``final`` carry ``cell``, ``trend_state``, ``vol_state``, ``t_norm``, ``z_score`` and
    ``targets`` (symbol → weight).
    """
    notify_send(
        Notification(
            kind="validation_red",
            title=f"{strategy_id} ({mode}): post-close validation RED on {trading_date}",
            body=(
                f"{strategy_id} traded cell {morning.get('cell')} on {trading_date}; the final bars say cell "
                f"{final.get('cell')}. Today's positions follow a regime the close does not confirm."
            ),
            strategy_id=strategy_id,
            mode=mode,
            context={
                "trading_date": trading_date.isoformat(),
                "morning": morning,
                "final": final,
                "morning_targets": morning.get("targets"),
                "final_targets": final.get("targets"),
            },
        )
    )


def notify_slippage(*, ticket, fill_price, slippage_pct: float, level: str, limit_pct: float) -> None:
    """A live fill slipped past a level: ``warning`` (0.3 %), ``high`` (0.5 %) or ``abort`` (1.0 %: the day's
    remaining orders are not sent). ``ticket`` is the order's ``OrderTicket``."""
    consequence = " — the remaining orders of the day are not sent" if level == "abort" else ""
    notify_send(
        Notification(
            kind="slippage",
            title=f"{ticket.strategy_id} ({ticket.mode}): {ticket.side} {ticket.symbol} slipped {slippage_pct:.2f}%",
            body=(
                f"{ticket.strategy_id} {ticket.side} {ticket.symbol} filled at {fill_price} against the reference "
                f"{ticket.ref_price}: slippage {slippage_pct:.2f}% ≥ the {limit_pct:.1f}% {level} level{consequence}"
            ),
            strategy_id=ticket.strategy_id,
            mode=ticket.mode,
            context={
                "level": level,
                "symbol": ticket.symbol,
                "side": ticket.side,
                "ref_price": str(ticket.ref_price),
                "fill_price": str(fill_price),
                "slippage_pct": round(slippage_pct, 4),
                "limit_pct": limit_pct,
                "client_order_id": ticket.client_order_id,
                "trading_date": ticket.trading_date.isoformat(),
            },
        )
    )


def notify_token_expiry(*, broker: str, tier: str, expires_at, seconds_left: int) -> None:
    """The broker's refresh token entered a more urgent expiry tier (``5d``, ``2d``, ``1d``, ``12h``,
    ``expired``); after expiry live trading and the broker's market data need a new login."""
    if tier == "expired":
        title = f"{broker} login expired: live trading needs a new login"
        left = f"expired at {expires_at:%Y-%m-%d %H:%M} UTC"
    else:
        hours = seconds_left / 3600
        title = (
            f"{broker} login expires in {hours / 24:.1f} days"
            if hours >= 24
            else f"{broker} login expires in {hours:.0f} h"
        )
        left = f"expires at {expires_at:%Y-%m-%d %H:%M} UTC ({hours:.0f} h left)"
    notify_send(
        Notification(
            kind="token_expiry",
            title=title,
            body=(
                f"The {broker} refresh token {left}. Log in again: POST /api/schwab/auth/initiate, open the URL, "
                "then POST /api/schwab/auth/callback with the address the browser was sent to."
            ),
            context={
                "broker": broker,
                "tier": tier,
                "expires_at": expires_at.isoformat(),
                "seconds_left": seconds_left,
            },
        )
    )


def notify_reconciliation_mismatch(*, trading_date: date, summary: dict[str, int], items: list[dict[str, Any]]) -> None:
    """The day's recorded live fills and the broker's executions differ (``items``: the mismatches)."""
    counts = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in summary.items() if count)
    lines = [
        f"- {item['kind'].replace('_', ' ')}: {item.get('strategy_id') or '?'} {item['side']} {item['symbol']} "
        f"(local {item.get('local_qty')} @ {item.get('local_price')}, broker {item.get('broker_qty')} @ "
        f"{item.get('broker_price')})"
        for item in items[:20]
    ]
    notify_send(
        Notification(
            kind="reconciliation_mismatch",
            title=f"Reconciliation {trading_date}: {counts}",
            body=f"Live fills on {trading_date} differ from Schwab's executions:\n" + "\n".join(lines),
            mode="online_live",
            context={"trading_date": trading_date.isoformat(), "summary": summary, "items": items},
        )
    )
