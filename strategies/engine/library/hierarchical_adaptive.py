"""Hierarchical Adaptive v3.5b and v3.5d — the regime allocator (spec ``01_core.md``).

Per bar of the signal symbol (step numbers as in the spec):

1. T_norm from the adaptive Kalman filter on the signal bar (close, high, low, volume), computed as a
   cached feed indicator over the signal symbol's own bars (shared by runs with the same filter settings).
2. SMA_fast / SMA_slow of signal closes; nothing happens until both exist.
3. σ = annualised realised vol (``realized_vol_window``); z = (σ_t − mean) / sample std over the last
   ``vol_baseline_window`` σ values (z = 0 for a flat window). The spec computes σ over the last
   max(sma_slow + 10, vol_baseline_window + realized_vol_window) closes; since each σ depends only on
   its own window and that many closes always yield ≥ vol_baseline_window σ values, this equals the
   rolling z-score of the full σ series, which is what is precomputed (causally) here.
4. Vol state with hysteresis: first z → High if z > 0 else Low; then High if z > upper_thresh_z, Low if
   z < lower_thresh_z, otherwise unchanged.
5. Vol-crush: (σ_t − σ_{t−lookback}) / σ_{t−lookback} < vol_crush_threshold forces the vol state Low
   (the forced state persists into the next bar's hysteresis).
6. Trend: BullStrong if T_norm > bull_thresh and SMA_fast > SMA_slow; BearStrong if T_norm < bear_thresh
   and SMA_fast ≤ SMA_slow; else Sideways; a vol-crush turns BearStrong into Sideways.
7. Cell: BullStrong → 1 (Low) / 2 (High); Sideways → 3 / 4; BearStrong → 5 / 6.
8. Base weights per cell (TQQQ, QQQ, PSQ, cash), see ``BASE_WEIGHTS``.
9. Treasury overlay on cells 4, 5, 6 (not 6 with the inverse hedge): bond = min(0.4·d, max_bond_weight)
   of the defensive part d in TMF when SMA(TLT, fast) > SMA(TLT, slow) else TMV, the rest cash. Missing
   or insufficient TLT data, or no bar for the chosen bond ETF → the defensive part stays cash (warned).
10. TQQQ/QQQ/PSQ weights × leverage_scalar, then all weights (bonds and cash too) normalised to sum 1.
11. Rebalance only if Σ|current − target| over non-cash symbols > rebalance_threshold; on the first
    tradable bar current weights count as 0, so the first allocation always trades.
12. Orders (whole shares, sells before buys) are the backtester's / executor's job.

v3.5d adds cell-1 exit confirmation: while in cell 1, T_norm falling to or below the bull threshold
(with the SMAs still bullish) leaves BullStrong only once it has stayed there for
``cell1_exit_confirmation_days`` consecutive bars.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import StrategyParameterError
from ..feed import Bar
from ..indicators import realized_vol, sma, vol_zscore
from ..kalman import MODELS, kalman_strength
from ..params import Param
from ..strategy import CASH, Strategy, register_strategy

BULL, SIDEWAYS, BEAR = "BullStrong", "Sideways", "BearStrong"
HIGH, LOW = "High", "Low"
KALMAN_FIELDS = ("close", "high", "low", "volume")
CELL_NAMES = {1: "kill zone", 2: "fragile", 3: "drift", 4: "chop", 5: "grind", 6: "crash"}
# cell → (leveraged long, core long, inverse hedge, cash)
BASE_WEIGHTS = {
    1: (0.6, 0.4, 0.0, 0.0),
    2: (0.0, 1.0, 0.0, 0.0),
    3: (0.2, 0.8, 0.0, 0.0),
    4: (0.0, 0.0, 0.0, 1.0),
    5: (0.0, 0.5, 0.0, 0.5),
    6: (0.0, 0.0, 0.0, 1.0),
}
EXECUTION_TIMES = ("open", "15min_after_open", "15min_before_close", "5min_before_close", "close")

V35B_PARAMS: tuple[Param, ...] = (
    # Kalman
    Param("measurement_noise", float, 3000.0, min=0.0),
    Param("process_noise_1", float, 0.01, min=0.0),
    Param("process_noise_2", float, 0.01, min=0.0),
    Param("osc_smoothness", int, 15, min=1),
    Param("strength_smoothness", int, 15, min=1),
    Param("sigma_lookback", int, 500, min=1),
    Param("trend_lookback", int, 20, min=1),
    Param("T_max", float, 50.0, min=1e-9),
    Param("model", str, "volume_adjusted", choices=MODELS),
    Param("symmetric_volume_adjustment", bool, True),
    Param("double_smoothing", bool, False),
    # structural trend
    Param("sma_fast", int, 40, min=1),
    Param("sma_slow", int, 140, min=2),
    Param("t_norm_bull_thresh", float, 0.05, min=-1.0, max=1.0),
    Param("t_norm_bear_thresh", float, -0.3, min=-1.0, max=1.0),
    # volatility
    Param("realized_vol_window", int, 21, min=2),
    Param("vol_baseline_window", int, 200, min=2),
    Param("upper_thresh_z", float, 1.0),
    Param("lower_thresh_z", float, 0.2),
    # vol-crush
    Param("vol_crush_threshold", float, -0.15, min=-1.0, max=0.0),
    Param("vol_crush_lookback", int, 5, min=1),
    # allocation
    Param("leverage_scalar", float, 1.0, min=0.0, max=3.0),
    Param("use_inverse_hedge", bool, False),
    Param("w_PSQ_max", float, 0.5, min=0.0, max=1.0),
    Param("rebalance_threshold", float, 0.025, min=0.0, max=2.0),
    # treasury overlay
    Param("allow_treasury", bool, True),
    Param("bond_sma_fast", int, 20, min=1),
    Param("bond_sma_slow", int, 60, min=2),
    Param("max_bond_weight", float, 0.4, min=0.0, max=1.0),
    Param("treasury_trend_symbol", str, "TLT"),
    # symbols
    Param("signal_symbol", str, "QQQ"),
    Param("core_long_symbol", str, "QQQ"),
    Param("leveraged_long_symbol", str, "TQQQ"),
    Param("inverse_hedge_symbol", str, "PSQ"),
    Param("bull_bond_symbol", str, "TMF"),
    Param("bear_bond_symbol", str, "TMV"),
    # execution (used by the live scheduler; the backtest fills per its own config)
    Param("execution_time", str, "15min_after_open", choices=EXECUTION_TIMES),
)


@register_strategy
class HierarchicalAdaptiveV35b(Strategy):
    """Regime allocator: Kalman trend × SMA structure × volatility regime → six cells → weights."""

    class_id = "hierarchical_adaptive_v3_5b"
    display_name = "Hierarchical Adaptive v3.5b"
    param_specs = V35B_PARAMS

    def __init__(self, params: Mapping[str, Any] | None = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        p = self.p
        self._kalman_args = (
            p.measurement_noise,
            p.process_noise_1,
            p.process_noise_2,
            p.model,
            p.symmetric_volume_adjustment,
            p.osc_smoothness,
            p.strength_smoothness,
            p.sigma_lookback,
            p.trend_lookback,
            p.double_smoothing,
        )
        self.vol_state: str | None = None
        self.cell: int | None = None
        self.trend_state: str | None = None
        self._row: dict[str, Any] | None = None

    def check_params(self) -> None:
        p = self.p
        if p.sma_fast >= p.sma_slow:
            raise StrategyParameterError("sma_fast", f"must be smaller than sma_slow ({p.sma_fast} ≥ {p.sma_slow})")
        if p.bond_sma_fast >= p.bond_sma_slow:
            raise StrategyParameterError(
                "bond_sma_fast", f"must be smaller than bond_sma_slow ({p.bond_sma_fast} ≥ {p.bond_sma_slow})"
            )
        if p.lower_thresh_z > p.upper_thresh_z:
            raise StrategyParameterError(
                "lower_thresh_z", f"must not exceed upper_thresh_z ({p.lower_thresh_z} > {p.upper_thresh_z})"
            )
        if p.t_norm_bear_thresh > p.t_norm_bull_thresh:
            raise StrategyParameterError(
                "t_norm_bear_thresh",
                f"must not exceed t_norm_bull_thresh ({p.t_norm_bear_thresh} > {p.t_norm_bull_thresh})",
            )

    # ------------------------------------------------------------------ declarations
    @property
    def required_symbols(self) -> tuple[str, ...]:
        p = self.p
        return tuple(dict.fromkeys((p.signal_symbol, p.core_long_symbol, p.leveraged_long_symbol)))

    @property
    def optional_symbols(self) -> tuple[str, ...]:
        p = self.p
        out: list[str] = []
        if p.use_inverse_hedge:
            out.append(p.inverse_hedge_symbol)
        if p.allow_treasury:
            out += [p.treasury_trend_symbol, p.bull_bond_symbol, p.bear_bond_symbol]
        return tuple(s for s in dict.fromkeys(out) if s not in self.required_symbols)

    @property
    def warmup_bars(self) -> int:
        p = self.p
        bars = max(p.sma_slow + 10, p.vol_baseline_window + p.realized_vol_window)
        return max(bars, p.bond_sma_slow) if p.allow_treasury else bars

    # ------------------------------------------------------------------ per bar
    def on_bar(self, bar: Bar) -> dict[str, float] | None:
        p = self.p
        sig = p.signal_symbol
        if not bar.has_bar(sig):
            return None
        # 1. Kalman trend strength
        t_norm = self._t_norm(bar)
        # 2. structural trend
        sma_fast = bar.value(sig, sma, p.sma_fast)
        sma_slow = bar.value(sig, sma, p.sma_slow)
        # 3. volatility z-score
        z = bar.value(sig, vol_zscore, p.realized_vol_window, p.vol_baseline_window)
        self._row = None
        if math.isnan(sma_slow) or math.isnan(sma_fast) or math.isnan(z):
            self.context.reason = "warming up"
            return None
        sigma = bar.value(sig, realized_vol, p.realized_vol_window)
        sigma_then = bar.value(sig, realized_vol, p.realized_vol_window, ago=p.vol_crush_lookback)
        # 4. hysteresis
        if self.vol_state is None:
            self.vol_state = HIGH if z > 0 else LOW
        elif z > p.upper_thresh_z:
            self.vol_state = HIGH
        elif z < p.lower_thresh_z:
            self.vol_state = LOW
        # 5. vol-crush
        vol_crush = sigma_then > 0 and (sigma - sigma_then) / sigma_then < p.vol_crush_threshold
        if vol_crush:
            self.vol_state = LOW
        # 6. trend
        if t_norm > p.t_norm_bull_thresh and sma_fast > sma_slow:
            trend = BULL
        elif t_norm < p.t_norm_bear_thresh and sma_fast <= sma_slow:
            trend = BEAR
        else:
            trend = SIDEWAYS
        trend, held = self._confirm_trend(trend, t_norm, sma_fast, sma_slow)
        if vol_crush and trend == BEAR:
            trend = SIDEWAYS
        # 7. cell
        low = self.vol_state == LOW
        cell = {BULL: 1, SIDEWAYS: 3, BEAR: 5}[trend] + (0 if low else 1)
        self.trend_state, self.cell = trend, cell
        # 8–10. weights
        bonds = self._bond_view(bar)
        targets = self._weights(bar, cell, bonds)
        # 11. rebalance decision
        current = {} if bar.first_tradable else bar.weights
        drift = sum(
            abs(current.get(s, 0.0) - targets.get(s, 0.0)) for s in sorted(set(current) | set(targets)) if s != CASH
        )
        rebalance = bar.tradable and drift > p.rebalance_threshold
        self._record(bar, t_norm, z, sigma, sma_fast, sma_slow, bonds, vol_crush, targets, drift, rebalance, held)
        if not rebalance:
            return None
        return {s: w for s, w in targets.items() if s != CASH and w > 0}

    def _t_norm(self, bar: Bar) -> float:
        """T_norm = clamp(strength / T_max, −1, 1) of the signal symbol's Kalman filter at this bar.

        The filter runs over the signal symbol's own bars in order — exactly the bars this method is called
        on — as a cached feed indicator (:func:`~strategies.engine.kalman.kalman_strength`), so runs with the
        same Kalman parameters over the same bars (a parameter grid) share one pass of the filter.
        """
        strength = bar.value(self.p.signal_symbol, kalman_strength, *self._kalman_args, fields=KALMAN_FIELDS)
        return max(-1.0, min(1.0, strength / self.p.T_max))

    def _confirm_trend(self, trend: str, t_norm: float, sma_fast: float, sma_slow: float) -> tuple[str, bool]:
        """Hook for v3.5d; returns (trend, held_by_confirmation)."""
        return trend, False

    def _bond_view(self, bar: Bar) -> tuple[float, float, str | None]:
        """(SMA fast, SMA slow, "Bull"/"Bear"/None) of the treasury trend symbol."""
        p = self.p
        if not p.allow_treasury:
            return math.nan, math.nan, None
        tlt = p.treasury_trend_symbol
        fast = bar.value(tlt, sma, p.bond_sma_fast)
        slow = bar.value(tlt, sma, p.bond_sma_slow)
        if math.isnan(fast) or math.isnan(slow):
            return fast, slow, None
        return fast, slow, ("Bull" if fast > slow else "Bear")

    def _weights(self, bar: Bar, cell: int, bonds: tuple[float, float, str | None]) -> dict[str, float]:
        p = self.p
        lev, core, hedge, cash = BASE_WEIGHTS[cell]
        if cell == 6 and p.use_inverse_hedge:
            hedge = min(0.5, p.w_PSQ_max)
            cash = 1.0 - hedge
            if not bar.has_bar(p.inverse_hedge_symbol):
                self.warn(
                    f"no-{p.inverse_hedge_symbol}",
                    f"{p.inverse_hedge_symbol} has no bar: inverse hedge kept in cash",
                    bar,
                )
                hedge, cash = 0.0, 1.0
        weights: dict[str, float] = {}
        for symbol, w in (
            (p.leveraged_long_symbol, lev * p.leverage_scalar),
            (p.core_long_symbol, core * p.leverage_scalar),
            (p.inverse_hedge_symbol, hedge * p.leverage_scalar),
        ):
            if w:
                weights[symbol] = weights.get(symbol, 0.0) + w
        # 9. treasury overlay on the defensive part
        if p.allow_treasury and cell in (4, 5, 6) and not (cell == 6 and p.use_inverse_hedge):
            defensive = 1.0 if cell in (4, 6) else 0.5
            bond_symbol = self._bond_symbol(bar, bonds)
            if bond_symbol is not None:
                bond = min(0.4 * defensive, p.max_bond_weight)
                weights[bond_symbol] = weights.get(bond_symbol, 0.0) + bond
                cash -= bond
        weights[CASH] = cash
        # 10. normalise to 1 (leverage_scalar changes the risky/cash mix)
        total = sum(weights.values())
        if total <= 0:
            return {CASH: 1.0}
        return {s: w / total for s, w in weights.items()}

    def _bond_symbol(self, bar: Bar, bonds: tuple[float, float, str | None]) -> str | None:
        p = self.p
        trend = bonds[2]
        if trend is None:
            tlt = p.treasury_trend_symbol
            why = "has no data" if not bar.has_data(tlt) else f"has fewer than {p.bond_sma_slow} bars"
            self.warn(f"no-trend-{tlt}", f"{tlt} {why}: defensive part kept in cash", bar)
            return None
        symbol = p.bull_bond_symbol if trend == "Bull" else p.bear_bond_symbol
        if not bar.has_bar(symbol):
            why = "has no data" if not bar.has_data(symbol) else "has no bar that day"
            self.warn(f"no-bond-{symbol}", f"{symbol} {why}: defensive bond part kept in cash", bar)
            return None
        return symbol

    def _record(self, bar, t_norm, z, sigma, sma_fast, sma_slow, bonds, vol_crush, targets, drift, rebalance, held):
        cell = self.cell
        ctx = self.context
        ctx.date = bar.date
        ctx.regime.trend_state, ctx.regime.vol_state, ctx.regime.cell = self.trend_state, self.vol_state, cell
        ctx.indicators = {
            "t_norm": t_norm,
            "z_score": z,
            "sigma": sigma,
            "sma_fast": sma_fast,
            "sma_slow": sma_slow,
            "bond_sma_fast": bonds[0],
            "bond_sma_slow": bonds[1],
            "bond_trend": bonds[2],
            "vol_crush": vol_crush,
            "drift": drift,
        }
        ctx.target_weights = targets
        action = "rebalance" if rebalance else ("hold" if bar.tradable else "warm-up")
        ctx.reason = (
            f"cell {cell} {CELL_NAMES[cell]}: {self.trend_state}{' (held, exit unconfirmed)' if held else ''}"
            f" (T_norm {t_norm:+.3f}, SMA{self.p.sma_fast} {'>' if sma_fast > sma_slow else '≤'} SMA{self.p.sma_slow}),"
            f" vol {self.vol_state} (z {z:+.2f}{', vol-crush' if vol_crush else ''}); {action} (drift {drift:.3f})"
        )
        self._row = {
            "cell": cell,
            "trend_state": self.trend_state,
            "vol_state": self.vol_state,
            "t_norm": t_norm,
            "z_score": z,
            "sigma": sigma,
            "sma_fast": sma_fast,
            "sma_slow": sma_slow,
            "bond_sma_fast": None if math.isnan(bonds[0]) else bonds[0],
            "bond_sma_slow": None if math.isnan(bonds[1]) else bonds[1],
            "bond_trend": bonds[2],
            "vol_crush": vol_crush,
            "target_weights": dict(targets),
            "rebalance": rebalance,
        }

    def regime_row(self) -> dict[str, Any] | None:
        return self._row


@register_strategy
class HierarchicalAdaptiveV35d(HierarchicalAdaptiveV35b):
    """v3.5b plus cell-1 exit confirmation (fewer whipsaws out of the kill zone)."""

    class_id = "hierarchical_adaptive_v3_5d"
    display_name = "Hierarchical Adaptive v3.5d"
    param_specs = (
        *V35B_PARAMS,
        Param("cell1_exit_confirmation_enabled", bool, True),
        Param("cell1_exit_confirmation_days", int, 2, min=1),
    )

    def __init__(self, params: Mapping[str, Any] | None = None, **overrides: Any) -> None:
        super().__init__(params, **overrides)
        self._bars_below = 0

    def _confirm_trend(self, trend: str, t_norm: float, sma_fast: float, sma_slow: float) -> tuple[str, bool]:
        p = self.p
        leaving_on_t_norm = trend != BULL and sma_fast > sma_slow and t_norm <= p.t_norm_bull_thresh
        if p.cell1_exit_confirmation_enabled and self.cell == 1 and leaving_on_t_norm:
            self._bars_below += 1
            if self._bars_below < p.cell1_exit_confirmation_days:
                return BULL, True
        self._bars_below = 0
        return trend, False
