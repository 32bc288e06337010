"""Validation rules for incoming bars (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from trading.marketdata.validation import detect_jumps, normalise_timestamp, validate_bar, validate_bars
from trading.sources.base import RawBar

NOW = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


def bar(ts="2019-07-18", o="10", h="11", lo="9", c="10.5", v="1000", where="T.csv line 2") -> RawBar:
    return RawBar(ts, o, h, lo, c, v, where=where)


def judge(raw: RawBar, timeframe: str = "1D"):
    return validate_bar(raw, timeframe=timeframe, now=NOW)


def reason(raw: RawBar, timeframe: str = "1D") -> str:
    good, _repair, rejection = judge(raw, timeframe)
    assert good is None and rejection is not None, "expected a rejection"
    return rejection.message


def test_a_consistent_bar_is_accepted_with_exact_decimals_and_a_utc_midnight_timestamp():
    good, repair, rejection = judge(bar(o="193.839996", h="194", lo="190.809998", c="191.009995"))
    assert rejection is None and repair is None
    assert good.timestamp == datetime(2019, 7, 18, tzinfo=UTC)
    assert good.open == Decimal("193.839996") and good.volume == 1000


def test_prices_are_quantised_to_six_places_half_even():
    good, _, _ = judge(bar(o="10.0000005", h="11.12345649", c="10.0000015"))
    assert good.open == Decimal("10.000000")
    assert good.close == Decimal("10.000002")
    assert good.high == Decimal("11.123456")


@pytest.mark.parametrize("missing", ["", "null", "NaN", "None", None, float("nan")])
def test_a_missing_close_rejects_the_row_naming_file_line_date_and_field(missing):
    message = reason(bar(ts="2026-07-14", c=missing, where="QQQ.csv line 6879"))
    assert message.startswith("QQQ.csv line 6879 (2026-07-14): close is missing")


def test_a_non_numeric_price_is_rejected():
    assert "high is not a number ('abc')" in reason(bar(h="abc"))


@pytest.mark.parametrize("field", ["o", "h", "lo", "c"])
def test_a_zero_or_negative_price_is_rejected(field):
    assert "must be > 0" in reason(bar(**{field: "0"}))
    assert "must be > 0" in reason(bar(**{field: "-1"}))


def test_a_price_too_large_for_numeric_18_6_is_rejected():
    assert "too large" in reason(bar(o="1e13", h="1e13", c="1e13"))


def test_a_negative_volume_is_rejected():
    assert "volume must be ≥ 0" in reason(bar(v="-5"))


def test_a_fractional_volume_is_rejected_but_a_whole_float_is_fine():
    assert "whole number" in reason(bar(v="10.5"))
    good, _, _ = judge(bar(v="29387900.0"))
    assert good.volume == 29387900


def test_a_zero_volume_is_accepted():
    good, _, _ = judge(bar(v="0"))
    assert good.volume == 0


def test_an_unparseable_timestamp_is_rejected():
    assert "timestamp '2019-13-45' is not an ISO date" in reason(bar(ts="2019-13-45"))


def test_a_missing_timestamp_is_rejected():
    assert "timestamp is missing" in reason(bar(ts=""))


def test_a_bar_dated_after_today_in_new_york_is_rejected_as_future():
    assert "is in the future" in reason(bar(ts="2026-11-24"))
    good, _, _ = judge(bar(ts="2026-11-23"))
    assert good is not None


def test_an_intraday_bar_after_now_is_rejected_as_future():
    assert "in the future" in reason(bar(ts="2026-11-24T00:05:00Z"), "5m")


def test_all_problems_of_a_row_are_reported_together():
    message = reason(bar(o="x", c="null", v="-1"))
    assert "open is not a number" in message and "close is missing" in message and "volume" in message


def test_open_slightly_above_high_is_repaired_by_widening_high_and_reported():
    good, repair, rejection = judge(bar(ts="2019-07-19", o="193.839996", h="193.830002", lo="190.809998", c="191.01"))
    assert rejection is None
    assert good.high == Decimal("193.839996") and good.low == Decimal("190.809998")
    assert repair.original["high"] == "193.830002" and repair.repaired["high"] == "193.839996"
    assert "open 193.839996 above high 193.830002" in repair.message and "2019-07-19" in repair.message


def test_close_slightly_below_low_is_repaired_by_widening_low():
    good, repair, _ = judge(bar(o="10", h="10.2", lo="9.99", c="9.97"))
    assert good.low == Decimal("9.97") and repair is not None


def test_an_inconsistency_of_exactly_half_a_percent_is_still_repaired():
    good, repair, _ = judge(bar(o="100.5", h="100", lo="99", c="99.5"))
    assert good is not None and repair is not None


def test_an_inconsistency_beyond_half_a_percent_is_rejected():
    message = reason(bar(o="101", h="100", lo="99", c="99.5"))
    assert "above high" in message and "repair tolerance" in message


def test_a_second_bar_with_the_same_timestamp_is_rejected_naming_the_first():
    result = validate_bars([bar(where="T.csv line 2"), bar(where="T.csv line 3")], timeframe="1D", now=NOW)
    assert len(result.bars) == 1
    assert result.rejections[0].message == "T.csv line 3 (2019-07-18): same timestamp as T.csv line 2"


def test_validated_bars_come_back_sorted_by_timestamp():
    result = validate_bars([bar(ts="2019-07-19"), bar(ts="2019-07-17")], timeframe="1D", now=NOW)
    assert [b.timestamp.day for b in result.bars] == [17, 19]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-07-19", date(2019, 7, 19)),
        ("2019-07-19T00:00:00Z", date(2019, 7, 19)),
        ("2019-07-19T00:00:00-04:00", date(2019, 7, 19)),
        (date(2019, 7, 19), date(2019, 7, 19)),
        (datetime(2019, 7, 19, 5, 0, tzinfo=UTC), date(2019, 7, 19)),  # Schwab: midnight Chicago
        (datetime(2019, 7, 19, 4, 0, tzinfo=UTC), date(2019, 7, 19)),  # Yahoo: midnight New York
        (1563512400000, date(2019, 7, 19)),  # epoch milliseconds
        (1563494400, date(2019, 7, 19)),  # epoch seconds, exactly 00:00 UTC: our own convention
    ],
)
def test_daily_timestamps_are_stored_at_midnight_utc_of_the_trading_date(value, expected):
    stamp = normalise_timestamp(value, "1D")
    assert stamp == datetime(expected.year, expected.month, expected.day, tzinfo=UTC)


def test_intraday_timestamps_keep_their_instant_in_utc():
    stamp = normalise_timestamp("2019-07-19T09:30:00-04:00", "15m")
    assert stamp == datetime(2019, 7, 19, 13, 30, tzinfo=UTC)


def test_an_intraday_bar_without_a_time_of_day_is_rejected():
    assert "no time of day" in reason(bar(ts="2019-07-19"), "15m")


def closes(*values):
    return [(datetime(2020, 1, day + 1, tzinfo=UTC), Decimal(str(v))) for day, v in enumerate(values)]


def test_a_move_over_forty_percent_on_an_unleveraged_symbol_is_flagged():
    jumps = detect_jumps(closes(100, 145), symbol="QQQ")
    assert [j.kind for j in jumps] == ["jump"] and "+45.0%" in jumps[0].reason


def test_the_same_move_on_a_leveraged_symbol_is_not_flagged():
    assert detect_jumps(closes(100, 145), symbol="TQQQ") == []


def test_a_close_ratio_matching_a_split_is_flagged_even_on_a_leveraged_symbol():
    jumps = detect_jumps(closes(100, 50.2), symbol="TQQQ")
    assert jumps[0].kind == "split" and "2-for-1 split" in jumps[0].reason
    reverse = detect_jumps(closes(10, 99.5), symbol="SQQQ")
    assert "1-for-10 reverse split" in reverse[0].reason


def test_ordinary_moves_are_not_flagged():
    assert detect_jumps(closes(100, 110, 95, 97), symbol="QQQ") == []


def test_jump_detection_can_be_limited_to_pairs_touching_new_bars():
    series = closes(100, 200, 201)
    assert detect_jumps(series, symbol="QQQ", only={series[2][0]}) == []
    assert len(detect_jumps(series, symbol="QQQ", only={series[1][0]})) == 1
