"""Validation, repair and jump detection for incoming bars (pure: no database, no clock).

Rules, applied to every bar from every source:

* all fields present and numeric (``''``, ``null``, ``NaN``, ``None`` count as missing);
* prices > 0 and below 10¹² (``NUMERIC(18,6)``), quantised to 6 places (half-even);
* volume a whole number ≥ 0;
* timestamp parseable and not in the future (daily: not after today's New York date);
* OHLC consistent: low ≤ min(open, close) and high ≥ max(open, close). A violation of at most
  ``REPAIR_TOLERANCE`` (0.5 % of the violated price) is repaired by widening high/low to contain
  open and close — vendor rounding, as QQQ 2019-07-19 (open 193.839996, high 193.830002) — and
  reported as a ``Repair``; a larger one rejects the bar;
* one bar per timestamp within one input (a second one is rejected naming the first).

Timestamp normalisation (see ``trading.models.MarketData``): a daily bar is stored at 00:00 UTC of
its trading date. The date is taken as written for ISO text (``2019-07-19``,
``2019-07-19T00:00:00-04:00`` → 2019-07-19); for datetimes and epoch numbers it is the New York
date of that instant (Yahoo stamps midnight New York, Schwab midnight Chicago), except that an
instant at exactly 00:00 UTC is read as our own convention. Intraday bars keep their instant, in
UTC; naive values are taken as UTC.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from itertools import pairwise
from zoneinfo import ZoneInfo

from trading.sources.base import DAILY, RawBar

NEW_YORK = ZoneInfo("America/New_York")
PRICE_QUANTUM = Decimal("0.000001")
MAX_PRICE = Decimal("1000000000000")  # NUMERIC(18,6) leaves 12 integer digits
MAX_VOLUME = 2**63 - 1
REPAIR_TOLERANCE = Decimal("0.005")  # 0.5 %
MISSING_TOKENS = frozenset({"", "null", "none", "nan", "na", "n/a", "-"})
PRICE_FIELDS = ("open", "high", "low", "close")
EARLIEST_YEAR = 1900

#: close-to-close move (fraction) above which a non-leveraged symbol's bar is flagged.
JUMP_THRESHOLD = Decimal("0.40")
#: split factors whose ratio (or inverse, for reverse splits) is flagged on any symbol.
SPLIT_FACTORS = (2, 3, 4, 5, 8, 10, 20)
SPLIT_TOLERANCE = Decimal("0.05")  # a split day also moves with the market (AAPL 2020-08-31: +3.4 %)
#: leveraged and inverse-leveraged ETFs: big daily moves are normal, only split ratios are flagged.
LEVERAGED_SYMBOLS = frozenset(
    {
        "TQQQ", "SQQQ", "QLD", "QID", "UPRO", "SPXU", "SPXL", "SPXS", "SSO", "SDS", "TMF", "TMV", "UBT",
        "TBT", "TNA", "TZA", "SOXL", "SOXS", "TECL", "TECS", "FAS", "FAZ", "LABU", "LABD", "UDOW", "SDOW",
        "UVXY", "SVXY", "YINN", "YANG", "NUGT", "DUST",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Bar:
    """A validated bar: aware UTC timestamp (normalised), exact prices, integer volume."""

    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    where: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    where: str
    label: str
    reason: str

    @property
    def message(self) -> str:
        label = f" ({self.label})" if self.label and self.label not in self.where else ""
        return f"{self.where}{label}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Repair:
    where: str
    timestamp: datetime
    label: str
    original: dict[str, str]
    repaired: dict[str, str]
    reason: str

    @property
    def message(self) -> str:
        return f"{self.where} ({self.label}): {self.reason}"


@dataclass(slots=True)
class ValidationResult:
    bars: list[Bar] = field(default_factory=list)
    repairs: dict[datetime, Repair] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Jump:
    """A suspicious close-to-close move between two consecutive stored bars."""

    timestamp: datetime
    previous_timestamp: datetime
    previous_close: Decimal
    close: Decimal
    kind: str  # "jump" or "split"
    reason: str


# ── timestamps ─────────────────────────────────────────────────────────────────────────────────────


def midnight_utc(day: date) -> datetime:
    """The storage timestamp of ``day``'s daily bar: 00:00 UTC of that date."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def bar_label(moment: datetime, timeframe: str) -> str:
    """How messages name a bar: its trading date (daily) or its UTC instant (intraday)."""
    return moment.date().isoformat() if timeframe == DAILY else moment.isoformat()


def _daily_from_instant(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    if moment.time() == time(0):
        return moment
    return midnight_utc(moment.astimezone(NEW_YORK).date())


def _from_epoch(number: float) -> datetime:
    seconds = number / 1000 if abs(number) >= 1e11 else number
    return datetime.fromtimestamp(seconds, tz=UTC)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_TOKENS


def normalise_timestamp(value: object, timeframe: str) -> datetime:
    """The storage timestamp of a bar (see the module docstring); ``ValueError`` says why not."""
    if _is_missing(value):
        raise ValueError(f"timestamp is missing ({value!r})")
    daily = timeframe == DAILY
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        result = _daily_from_instant(moment) if daily else moment.astimezone(UTC)
    elif isinstance(value, date):
        if not daily:
            raise ValueError(f"timestamp {value.isoformat()} has no time of day, needed for {timeframe} bars")
        result = midnight_utc(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_epoch(float(value))
        result = _daily_from_instant(moment) if daily else moment
    else:
        result = _parse_text_timestamp(str(value).strip(), daily, timeframe)
    if result.year < EARLIEST_YEAR:
        raise ValueError(f"timestamp {value!r} is before {EARLIEST_YEAR}")
    return result


def _parse_text_timestamp(text: str, daily: bool, timeframe: str) -> datetime:
    if text.lstrip("-").replace(".", "", 1).isdigit():
        moment = _from_epoch(float(text))
        return _daily_from_instant(moment) if daily else moment
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if not daily:
                raise ValueError(f"timestamp {text!r} has no time of day, needed for {timeframe} bars")
            return midnight_utc(day)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        if "time of day" in str(exc):
            raise
        raise ValueError(f"timestamp {text!r} is not an ISO date or date-time")
    if daily:
        return midnight_utc(moment.date())  # the date as written, in the vendor's own offset
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


# ── numbers ────────────────────────────────────────────────────────────────────────────────────────


def _parse_decimal(name: str, value: object) -> Decimal:
    if _is_missing(value):
        raise ValueError(f"{name} is missing ({value!r})" if value is not None else f"{name} is missing")
    if isinstance(value, bool):
        raise ValueError(f"{name} is not a number ({value!r})")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} is not a number ({value!r})")
    if not number.is_finite():
        raise ValueError(f"{name} is not a finite number ({value!r})")
    return number


def parse_price(name: str, value: object) -> Decimal:
    number = _parse_decimal(name, value)
    price = number.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
    if price <= 0:
        raise ValueError(f"{name} must be > 0 (got {number})")
    if price >= MAX_PRICE:
        raise ValueError(f"{name} {number} is too large (at most 12 digits before the decimal point)")
    return price


def parse_volume(value: object) -> int:
    number = _parse_decimal("volume", value)
    if number != number.to_integral_value():
        raise ValueError(f"volume must be a whole number (got {number})")
    if number < 0:
        raise ValueError(f"volume must be ≥ 0 (got {number})")
    if number > MAX_VOLUME:
        raise ValueError(f"volume {number} is too large")
    return int(number)


# ── bars ───────────────────────────────────────────────────────────────────────────────────────────


def _label(raw: RawBar, timestamp: datetime | None, timeframe: str) -> str:
    if timestamp is not None:
        return bar_label(timestamp, timeframe)
    return "" if _is_missing(raw.timestamp) else str(raw.timestamp)


def _check_ohlc(o: Decimal, h: Decimal, low: Decimal, c: Decimal) -> tuple[Decimal, Decimal, list[str], bool]:
    """(high, low, problems, repairable): widened high/low and a description of each violation."""
    top, bottom = max(o, c), min(o, c)
    problems: list[str] = []
    repairable = True
    if h < top:
        gap = (top - h) / top
        name = "open" if o >= c else "close"
        problems.append(f"{name} {top} above high {h} by {gap * 100:.3f}%")
        repairable &= gap <= REPAIR_TOLERANCE
    if low > bottom:
        gap = (low - bottom) / bottom
        name = "open" if o <= c else "close"
        problems.append(f"{name} {bottom} below low {low} by {gap * 100:.3f}%")
        repairable &= gap <= REPAIR_TOLERANCE
    return max(h, top), min(low, bottom), problems, repairable


def validate_bar(raw: RawBar, *, timeframe: str, now: datetime) -> tuple[Bar | None, Repair | None, Rejection | None]:
    """Judge one bar: exactly one of (bar, rejection) is set; a repaired bar also returns its repair."""
    problems: list[str] = []
    timestamp: datetime | None = None
    try:
        timestamp = normalise_timestamp(raw.timestamp, timeframe)
    except ValueError as exc:
        problems.append(str(exc))
    values: dict[str, Decimal] = {}
    for name in PRICE_FIELDS:
        try:
            values[name] = parse_price(name, getattr(raw, name))
        except ValueError as exc:
            problems.append(str(exc))
    volume = 0
    try:
        volume = parse_volume(raw.volume)
    except ValueError as exc:
        problems.append(str(exc))
    label = _label(raw, timestamp, timeframe)
    if timestamp is not None and _in_future(timestamp, timeframe, now):
        problems.append(f"timestamp {label} is in the future (now {now.astimezone(NEW_YORK):%Y-%m-%d %H:%M} New York)")
    if problems:
        return None, None, Rejection(raw.where, label, "; ".join(problems))

    o, h, low, c = (values[name] for name in PRICE_FIELDS)
    high2, low2, ohlc_problems, repairable = _check_ohlc(o, h, low, c)
    if ohlc_problems and not repairable:
        reason = "; ".join(ohlc_problems) + f" (more than the {REPAIR_TOLERANCE * 100:.1f}% repair tolerance)"
        return None, None, Rejection(raw.where, label, reason)
    bar = Bar(timestamp, o, high2, low2, c, volume, raw.where)
    repair = None
    if ohlc_problems:
        changed = {"high": (h, high2), "low": (low, low2)}
        widened = ", ".join(f"{k} widened to {new}" for k, (old, new) in changed.items() if old != new)
        repair = Repair(
            where=raw.where,
            timestamp=timestamp,
            label=label,
            original={"open": str(o), "high": str(h), "low": str(low), "close": str(c)},
            repaired={"open": str(o), "high": str(high2), "low": str(low2), "close": str(c)},
            reason="; ".join(ohlc_problems) + f"; {widened}",
        )
    return bar, repair, None


def _in_future(timestamp: datetime, timeframe: str, now: datetime) -> bool:
    if timeframe == DAILY:
        return timestamp.date() > now.astimezone(NEW_YORK).date()
    return timestamp > now


def validate_bars(raw_bars: Iterable[RawBar], *, timeframe: str, now: datetime) -> ValidationResult:
    """Validate every bar; the good ones come back sorted by timestamp, with repairs and rejections."""
    result = ValidationResult()
    seen: dict[datetime, str] = {}
    for raw in raw_bars:
        bar, repair, rejection = validate_bar(raw, timeframe=timeframe, now=now)
        if rejection is not None:
            result.rejections.append(rejection)
            continue
        assert bar is not None
        if bar.timestamp in seen:
            label = _label(raw, bar.timestamp, timeframe)
            result.rejections.append(Rejection(raw.where, label, f"same timestamp as {seen[bar.timestamp]}"))
            continue
        seen[bar.timestamp] = raw.where or "an earlier bar"
        result.bars.append(bar)
        if repair is not None:
            result.repairs[bar.timestamp] = repair
    result.bars.sort(key=lambda bar: bar.timestamp)
    return result


# ── suspicious jumps ───────────────────────────────────────────────────────────────────────────────


def _split_match(ratio: Decimal) -> str | None:
    for factor in SPLIT_FACTORS:
        if abs(ratio * factor - 1) <= SPLIT_TOLERANCE:
            return f"{factor}-for-1 split"
        if abs(ratio / factor - 1) <= SPLIT_TOLERANCE:
            return f"1-for-{factor} reverse split"
    return None


def detect_jumps(
    closes: Sequence[tuple[datetime, Decimal]], *, symbol: str, only: set[datetime] | None = None
) -> list[Jump]:
    """Consecutive closes whose ratio matches a split, or (non-leveraged symbols) moves more than
    ``JUMP_THRESHOLD``. ``closes`` must be sorted; with ``only``, a pair is checked when either bar
    is in it (the newly stored bars)."""
    leveraged = symbol.upper() in LEVERAGED_SYMBOLS
    jumps: list[Jump] = []
    for (prev_ts, prev_close), (ts, close) in pairwise(closes):
        if only is not None and ts not in only and prev_ts not in only:
            continue
        ratio = close / prev_close
        split = _split_match(ratio)
        move = ratio - 1
        if split:
            kind, reason = "split", f"close {prev_close} → {close} (ratio {ratio:.4f}) matches a {split}"
        elif not leveraged and abs(move) > JUMP_THRESHOLD:
            kind, reason = "jump", f"close {prev_close} → {close} moves {move * 100:+.1f}% in one bar"
        else:
            continue
        jumps.append(Jump(ts, prev_ts, prev_close, close, kind, reason))
    return jumps
