"""Hierarchical Adaptive v3.5b / v3.5d, step by step (spec 01_core.md, steps 1–12).

The strategy is driven with a scripted bar that returns chosen indicator values and a stub Kalman
filter returning a chosen T_norm, so each step's rule is tested in isolation.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from strategies.engine import create_strategy
from strategies.engine.indicators import realized_vol, sma, vol_zscore

ALL = {"QQQ", "TQQQ", "PSQ", "TLT", "TMF", "TMV"}


class ScriptedBar:
    """Just enough of ``feed.Bar`` for the strategy; values keyed by (symbol, fn name, args, ago)."""

    def __init__(self, values, present, weights, tradable, first_tradable, date):
        self._values = values
        self._present = present
        self._weights = weights
        self.tradable = tradable
        self.first_tradable = first_tradable
        self.date = date

    def has_bar(self, symbol):
        return symbol in self._present

    def has_data(self, symbol):
        return symbol in self._present

    def get(self, symbol, field="close"):
        return 100.0

    def value(self, symbol, fn, *args, fields=("close",), ago=0):
        return self._values.get((symbol, fn.__name__, args, ago), math.nan)

    @property
    def weights(self):
        return dict(self._weights)


class Driver:
    """Feeds one scripted bar at a time to a strategy instance."""

    def __init__(self, class_id="hierarchical_adaptive_v3_5b", **params):
        self.strategy = create_strategy(class_id, params)
        self.t_norm = 0.0
        self.strategy._t_norm = lambda bar: self.t_norm  # scripted trend strength
        self.day = dt.date(2020, 1, 1)

    def step(
        self,
        *,
        t_norm=0.5,
        fast=110.0,
        slow=100.0,
        z=-1.0,
        sigma=0.20,
        sigma_then=0.20,
        tlt=(101.0, 100.0),
        present=ALL,
        weights=None,
        tradable=True,
        first=False,
    ):
        p = self.strategy.p
        values = {
            ("QQQ", "sma", (p.sma_fast,), 0): fast,
            ("QQQ", "sma", (p.sma_slow,), 0): slow,
            ("QQQ", vol_zscore.__name__, (p.realized_vol_window, p.vol_baseline_window), 0): z,
            ("QQQ", realized_vol.__name__, (p.realized_vol_window,), 0): sigma,
            ("QQQ", realized_vol.__name__, (p.realized_vol_window,), p.vol_crush_lookback): sigma_then,
        }
        if tlt is not None:
            values[("TLT", sma.__name__, (p.bond_sma_fast,), 0)] = tlt[0]
            values[("TLT", sma.__name__, (p.bond_sma_slow,), 0)] = tlt[1]
        self.t_norm = t_norm
        self.day += dt.timedelta(days=1)
        bar = ScriptedBar(values, set(present), weights or {}, tradable, first, self.day)
        return self.strategy.on_bar(bar), self.strategy.regime_row()


def first_step(driver, **kw):
    kw.setdefault("first", True)
    return driver.step(**kw)


# ------------------------------------------------------------------ steps 2, 6, 7: trend and cells


def test_nothing_happens_until_both_smas_exist():
    driver = Driver()
    targets, row = first_step(driver, slow=math.nan)
    assert targets is None and row is None


def test_nothing_happens_until_the_vol_zscore_exists():
    driver = Driver()
    targets, row = first_step(driver, z=math.nan)
    assert targets is None and row is None


@pytest.mark.parametrize(
    ("t_norm", "fast", "slow", "z", "cell", "trend"),
    [
        (0.06, 110, 100, -0.5, 1, "BullStrong"),
        (0.06, 110, 100, 0.5, 2, "BullStrong"),
        (0.05, 110, 100, -0.5, 3, "Sideways"),  # T_norm must exceed the bull threshold
        (0.9, 100, 100, -0.5, 3, "Sideways"),  # SMA_fast must exceed SMA_slow for BullStrong
        (-0.2, 90, 100, 0.5, 4, "Sideways"),  # not below the bear threshold
        (-0.31, 90, 100, -0.5, 5, "BearStrong"),
        (-0.31, 100, 100, 0.5, 6, "BearStrong"),  # SMA_fast ≤ SMA_slow counts for BearStrong
        (-0.31, 101, 100, 0.5, 4, "Sideways"),
    ],
)
def test_trend_and_vol_state_map_to_the_six_cells(t_norm, fast, slow, z, cell, trend):
    _, row = first_step(Driver(), t_norm=t_norm, fast=fast, slow=slow, z=z)
    assert (row["cell"], row["trend_state"]) == (cell, trend)


# ------------------------------------------------------------------ step 4: hysteresis


def test_first_vol_state_is_high_only_for_a_positive_z():
    assert first_step(Driver(), z=0.0)[1]["vol_state"] == "Low"
    assert first_step(Driver(), z=0.01)[1]["vol_state"] == "High"


def test_vol_state_changes_only_outside_the_deadband():
    driver = Driver()
    states = [first_step(driver, z=0.5)[1]["vol_state"]]
    for z in (0.5, 1.0, 0.2, 0.19, 0.5, 1.0, 1.01, 0.3):
        states.append(driver.step(z=z)[1]["vol_state"])
    assert states == ["High", "High", "High", "High", "Low", "Low", "Low", "High", "High"]


# ------------------------------------------------------------------ step 5: vol-crush


def test_vol_crush_forces_low_vol_and_turns_bearstrong_into_sideways():
    _, row = first_step(Driver(), t_norm=-0.5, fast=90, z=3.0, sigma=0.16, sigma_then=0.20)  # −20%
    assert row["vol_crush"] is True
    assert (row["vol_state"], row["trend_state"], row["cell"]) == ("Low", "Sideways", 3)


def test_a_drop_of_exactly_the_threshold_is_not_a_vol_crush():
    _, row = first_step(Driver(), z=3.0, sigma=0.17, sigma_then=0.20)  # (0.17 − 0.2)/0.2 = −0.15
    assert row["vol_crush"] is False and row["vol_state"] == "High"


def test_the_forced_low_state_persists_through_the_deadband():
    driver = Driver()
    first_step(driver, z=3.0, sigma=0.10, sigma_then=0.20)
    assert driver.step(z=0.8)[1]["vol_state"] == "Low"


# ------------------------------------------------------------------ steps 8–10: weights


def weights_for(**kw):
    params = kw.pop("params", {})
    return first_step(Driver(**params), **kw)[1]["target_weights"]


def test_base_weights_of_the_risk_on_cells():
    assert weights_for(t_norm=0.5, z=-1) == {"TQQQ": 0.6, "QQQ": 0.4, "cash": 0.0}
    assert weights_for(t_norm=0.5, z=1) == {"QQQ": 1.0, "cash": 0.0}
    assert weights_for(t_norm=0.0, z=-1) == pytest.approx({"TQQQ": 0.2, "QQQ": 0.8, "cash": 0.0})


def test_treasury_overlay_puts_forty_percent_of_the_defensive_part_in_tmf_when_bonds_trend_up():
    assert weights_for(t_norm=0.0, z=1) == pytest.approx({"TMF": 0.4, "cash": 0.6})  # cell 4
    assert weights_for(t_norm=-0.5, fast=90, z=-1) == pytest.approx({"QQQ": 0.5, "TMF": 0.2, "cash": 0.3})  # cell 5
    assert weights_for(t_norm=-0.5, fast=90, z=1) == pytest.approx({"TMF": 0.4, "cash": 0.6})  # cell 6


def test_treasury_overlay_uses_tmv_when_bonds_trend_down():
    assert weights_for(t_norm=0.0, z=1, tlt=(99.0, 100.0)) == pytest.approx({"TMV": 0.4, "cash": 0.6})


def test_bond_weight_is_capped_by_max_bond_weight():
    w = weights_for(t_norm=0.0, z=1, params={"max_bond_weight": 0.1})
    assert w == pytest.approx({"TMF": 0.1, "cash": 0.9})


def test_missing_bond_etf_keeps_the_defensive_part_in_cash_and_says_so():
    driver = Driver()
    _, row = first_step(driver, t_norm=0.0, z=1, tlt=(99.0, 100.0), present=ALL - {"TMV"})
    assert row["target_weights"] == {"cash": 1.0}
    assert any("TMV has no data" in w for w in driver.strategy.warnings)


def test_insufficient_tlt_history_keeps_the_defensive_part_in_cash_and_says_so():
    driver = Driver()
    _, row = first_step(driver, t_norm=0.0, z=1, tlt=(math.nan, math.nan))
    assert row["target_weights"] == {"cash": 1.0}
    assert row["bond_trend"] is None
    assert any("TLT has fewer than 60 bars" in w for w in driver.strategy.warnings)


def test_overlay_is_off_when_treasuries_are_not_allowed():
    assert weights_for(t_norm=0.0, z=1, params={"allow_treasury": False}) == {"cash": 1.0}


def test_inverse_hedge_replaces_the_crash_cell_overlay_and_respects_its_cap():
    w = weights_for(t_norm=-0.5, fast=90, z=1, params={"use_inverse_hedge": True})
    assert w == pytest.approx({"PSQ": 0.5, "cash": 0.5})
    w = weights_for(t_norm=-0.5, fast=90, z=1, params={"use_inverse_hedge": True, "w_PSQ_max": 0.3})
    assert w == pytest.approx({"PSQ": 0.3, "cash": 0.7})
    # cell 4 keeps its overlay with the hedge on
    assert weights_for(t_norm=0.0, z=1, params={"use_inverse_hedge": True}) == pytest.approx({"TMF": 0.4, "cash": 0.6})


def test_leverage_scalar_scales_equity_weights_then_everything_is_normalised():
    # cell 5 without bonds: QQQ .5·1.5 = .75, cash .5 → /1.25
    w = weights_for(t_norm=-0.5, fast=90, z=-1, params={"leverage_scalar": 1.5, "allow_treasury": False})
    assert w == pytest.approx({"QQQ": 0.6, "cash": 0.4})
    # fully invested cells keep their mix
    w = weights_for(t_norm=0.5, z=-1, params={"leverage_scalar": 2.0})
    assert w == pytest.approx({"TQQQ": 0.6, "QQQ": 0.4, "cash": 0.0})
    assert sum(weights_for(t_norm=-0.5, fast=90, z=-1, params={"leverage_scalar": 1.7}).values()) == pytest.approx(1)


# ------------------------------------------------------------------ step 11: threshold rebalancing


def test_first_tradable_bar_always_allocates_even_if_the_portfolio_already_matches():
    targets, _ = first_step(Driver(), t_norm=0.5, z=-1, weights={"TQQQ": 0.6, "QQQ": 0.4})
    assert targets == {"TQQQ": 0.6, "QQQ": 0.4}


def test_rebalances_only_when_the_total_drift_exceeds_the_threshold():
    driver = Driver()
    first_step(driver, t_norm=0.5, z=-1)
    within, row = driver.step(t_norm=0.5, z=-1, weights={"TQQQ": 0.61, "QQQ": 0.39 - 0.004})  # drift .014
    assert within is None and row["rebalance"] is False
    just_below, _ = driver.step(t_norm=0.5, z=-1, weights={"TQQQ": 0.612, "QQQ": 0.388})  # drift .024
    assert just_below is None
    just_above, _ = driver.step(t_norm=0.5, z=-1, weights={"TQQQ": 0.613, "QQQ": 0.387})  # drift .026
    assert just_above == pytest.approx({"TQQQ": 0.6, "QQQ": 0.4})


def test_a_cell_change_trades_and_sells_symbols_no_longer_wanted():
    driver = Driver()
    first_step(driver, t_norm=0.5, z=-1)
    targets, row = driver.step(t_norm=0.0, z=1.5, weights={"TQQQ": 0.6, "QQQ": 0.4})  # → cell 4
    assert row["cell"] == 4
    assert targets == pytest.approx({"TMF": 0.4})  # TQQQ and QQQ are left out, i.e. sold


def test_warm_up_bars_update_state_but_never_trade():
    driver = Driver()
    targets, row = driver.step(tradable=False, z=0.5)
    assert targets is None and row["rebalance"] is False
    assert driver.strategy.vol_state == "High"


def test_warm_up_formula_follows_the_spec():
    assert create_strategy("hierarchical_adaptive_v3_5b").warmup_bars == 221  # max(150, 221, 60)
    assert create_strategy("hierarchical_adaptive_v3_5b", {"sma_slow": 300}).warmup_bars == 310
    assert create_strategy("hierarchical_adaptive_v3_5b", {"bond_sma_slow": 400}).warmup_bars == 400
    no_bonds = {"bond_sma_slow": 400, "allow_treasury": False}
    assert create_strategy("hierarchical_adaptive_v3_5b", no_bonds).warmup_bars == 221


def test_context_explains_the_decision():
    driver = Driver()
    first_step(driver, t_norm=0.5, z=-1)
    ctx = driver.strategy.context
    assert (ctx.regime.cell, ctx.regime.trend_state, ctx.regime.vol_state) == (1, "BullStrong", "Low")
    assert ctx.reason.startswith("cell 1 kill zone: BullStrong")
    assert "rebalance" in ctx.reason
    assert ctx.indicators["t_norm"] == 0.5


# ------------------------------------------------------------------ v3.5d: cell-1 exit confirmation


def cells(driver, t_norms, fast=110.0):
    out = [first_step(driver, t_norm=t_norms[0], z=-1, fast=fast)[1]["cell"]]
    for t in t_norms[1:]:
        out.append(driver.step(t_norm=t, z=-1, fast=fast)[1]["cell"])
    return out


def test_v35d_leaves_cell_1_only_after_two_consecutive_bars_below_the_bull_threshold():
    assert cells(Driver("hierarchical_adaptive_v3_5d"), [0.5, 0.0, 0.0, 0.0]) == [1, 1, 3, 3]


def test_v35d_resets_the_count_when_t_norm_recovers():
    assert cells(Driver("hierarchical_adaptive_v3_5d"), [0.5, 0.0, 0.5, 0.0, 0.5]) == [1, 1, 1, 1, 1]


def test_v35b_leaves_cell_1_at_once():
    assert cells(Driver(), [0.5, 0.0, 0.0]) == [1, 3, 3]


def test_v35d_with_one_day_or_disabled_behaves_like_v35b():
    seq = [0.5, 0.0, 0.5, 0.0, 0.0, 0.5]
    expected = cells(Driver(), seq)
    assert cells(Driver("hierarchical_adaptive_v3_5d", cell1_exit_confirmation_days=1), seq) == expected
    assert cells(Driver("hierarchical_adaptive_v3_5d", cell1_exit_confirmation_enabled=False), seq) == expected


def test_v35d_confirmation_does_not_hold_cell_1_against_a_bearish_sma_cross():
    driver = Driver("hierarchical_adaptive_v3_5d")
    first_step(driver, t_norm=0.5, z=-1)
    assert driver.step(t_norm=0.0, z=-1, fast=99.0)[1]["cell"] == 3
