"""Round trips from fills (``strategies.engine.round_trips``) and display downsampling (``strategies.downsample``)."""

from __future__ import annotations

from decimal import Decimal

from strategies.downsample import change_indices, extremes_indices
from strategies.engine.round_trips import round_trips


def fill(date, side, qty, price, symbol="QQQ", commission="0"):
    return {"date": date, "symbol": symbol, "side": side, "qty": qty, "price": price, "commission": commission}


def test_adds_and_trims_until_flat_are_one_round_trip_with_weighted_prices_and_costs():
    trips = round_trips(
        [
            fill("2020-01-02", "buy", 10, "100", commission="0.10"),
            fill("2020-01-03", "buy", 10, "110", commission="0.10"),
            fill("2020-01-06", "sell", 1, "120", commission="0.01"),
            fill("2020-01-07", "sell", 19, "90", commission="0.19"),
        ]
    )
    assert len(trips) == 1
    trip = trips[0]
    assert (trip.entry_date, trip.exit_date, trip.qty, trip.fills) == ("2020-01-02", "2020-01-07", 20, 4)
    assert trip.entry_price == Decimal("105") and trip.exit_price == Decimal("91.5")
    assert trip.pnl == Decimal("120") + Decimal("1710") - Decimal("2100") - Decimal("0.40")  # −270.40
    assert abs(trip.ret - float(trip.pnl / Decimal("2100"))) < 1e-12


def test_symbols_are_paired_separately_and_an_unclosed_position_stays_open():
    trips = round_trips(
        [
            fill("2020-01-02", "buy", 5, "10", symbol="TQQQ"),
            fill("2020-01-02", "buy", 3, "50", symbol="TLT"),
            fill("2020-01-03", "sell", 5, "11", symbol="TQQQ"),
            fill("2020-01-04", "buy", 2, "12", symbol="TQQQ"),
        ]
    )
    assert [(t.symbol, t.entry_date, t.exit_date) for t in trips] == [
        ("TQQQ", "2020-01-02", "2020-01-03"),
        ("TLT", "2020-01-02", None),  # by entry date, open ones after closed ones
        ("TQQQ", "2020-01-04", None),
    ]
    assert trips[0].pnl == Decimal("5") and trips[1].pnl is None and trips[1].is_open


def test_a_fill_through_zero_closes_the_trip_and_opens_the_opposite_one_splitting_its_commission():
    trips = round_trips([fill("2020-01-02", "buy", 10, "100"), fill("2020-01-03", "sell", 15, "110", commission="1.5")])
    assert [(t.direction, t.qty, t.exit_date) for t in trips] == [("long", 10, "2020-01-03"), ("short", 5, None)]
    assert trips[0].pnl == Decimal("100") - Decimal("1.0") and trips[1].commission == Decimal("0.5")


def test_downsampling_keeps_the_first_the_last_and_every_bucket_extreme():
    values = [float(i % 97) for i in range(5000)]
    values[1234], values[4321] = 1000.0, -1000.0
    keep = extremes_indices([values], max_points=200)
    assert keep[0] == 0 and keep[-1] == 4999 and len(keep) <= 202
    assert 1234 in keep and 4321 in keep and keep == sorted(set(keep))
    assert extremes_indices([values[:50]], max_points=200) == list(range(50))


def test_downsampling_skips_missing_values_and_a_step_series_keeps_its_changes():
    values = [None] * 10 + [1.0] * 990
    values[500] = 2.0
    assert 500 in extremes_indices([values], max_points=100)
    assert change_indices([1, 1, 2, 2, 2, 1]) == [0, 2, 5] and change_indices([3, 3, 3]) == [0, 2]
