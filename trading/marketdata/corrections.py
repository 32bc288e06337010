"""Operator corrections to stored bars: flag invalid / valid again, correct values. Every change is
audited with who, why and the before/after values; bars are never deleted."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jutsu.errors import InvalidParameter, NotFound
from trading.marketdata.bookkeeping import data_metadata_refresh
from trading.marketdata.validation import PRICE_FIELDS, parse_price, parse_volume
from trading.models import AuditOperation, AuditOutcome, DataAuditLog, MarketData


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidParameter("a reason is required for every market-data correction")
    return reason


def market_data_set_validity(*, bar_ids: Iterable[int], is_valid: bool, reason: str, user=None, actor: str = "") -> int:
    """Mark bars invalid (excluded from every selector) or valid again; returns how many changed.

    Bars already in the requested state are left alone and not audited again.
    """
    reason = _require_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        bars = list(MarketData.objects.select_for_update().filter(pk__in=list(bar_ids), is_valid=not is_valid))
        if not bars:
            return 0
        MarketData.objects.filter(pk__in=[bar.pk for bar in bars]).update(is_valid=is_valid)
        verb = "marked valid again" if is_valid else "marked invalid"
        DataAuditLog.objects.bulk_create(
            [
                DataAuditLog(
                    operation=AuditOperation.FLAG,
                    outcome=AuditOutcome.SUCCESS,
                    symbol=bar.symbol,
                    timeframe=bar.timeframe,
                    data_source=bar.data_source,
                    bar_timestamp=bar.timestamp,
                    flagged=1,
                    message=f"{bar.symbol} {bar.timeframe} {bar.timestamp:%Y-%m-%d %H:%M} {verb}: {reason}",
                    details={"bar_id": bar.pk, "is_valid": is_valid, "reason": reason},
                    user=user,
                    actor=actor,
                    created_at=now,
                )
                for bar in bars
            ]
        )
        for symbol, timeframe in {(bar.symbol, bar.timeframe) for bar in bars}:
            data_metadata_refresh(symbol=symbol, timeframe=timeframe)
    return len(bars)


def market_data_correct_bar(
    *,
    bar_id: int,
    reason: str,
    open: Decimal | str | None = None,
    high: Decimal | str | None = None,
    low: Decimal | str | None = None,
    close: Decimal | str | None = None,
    volume: int | str | None = None,
    user=None,
    actor: str = "",
) -> MarketData:
    """Replace some values of one bar (e.g. a vendor error confirmed against another source).

    The new bar must pass the same checks as an imported one (prices > 0, OHLC consistent — no
    tolerance here, the operator states exact values); the audit row keeps the original values.
    """
    reason = _require_reason(reason)
    given = {"open": open, "high": high, "low": low, "close": close}
    with transaction.atomic():
        bar = MarketData.objects.select_for_update().filter(pk=bar_id).first()
        if bar is None:
            raise NotFound(f"market data bar {bar_id} does not exist")
        before = {name: str(getattr(bar, name)) for name in (*PRICE_FIELDS, "volume")}
        try:
            for name, value in given.items():
                if value is not None:
                    setattr(bar, name, parse_price(name, value))
            if volume is not None:
                bar.volume = parse_volume(volume)
        except ValueError as exc:
            raise InvalidParameter(str(exc))
        if not (bar.low <= min(bar.open, bar.close) and bar.high >= max(bar.open, bar.close)):
            raise InvalidParameter(
                f"corrected bar is inconsistent: low {bar.low} must be ≤ open/close and high {bar.high} ≥ open/close"
            )
        after = {name: str(getattr(bar, name)) for name in (*PRICE_FIELDS, "volume")}
        if after == before:
            raise InvalidParameter("the correction changes nothing")
        bar.save(update_fields=[*PRICE_FIELDS, "volume"])
        DataAuditLog.objects.create(
            operation=AuditOperation.CORRECTION,
            outcome=AuditOutcome.SUCCESS,
            symbol=bar.symbol,
            timeframe=bar.timeframe,
            data_source=bar.data_source,
            bar_timestamp=bar.timestamp,
            repaired=1,
            message=f"{bar.symbol} {bar.timeframe} {bar.timestamp:%Y-%m-%d %H:%M} corrected: {reason}",
            details={"bar_id": bar.pk, "reason": reason, "original": before, "corrected": after},
            user=user,
            actor=actor,
        )
    return bar
