"""The outcome of a backtest run, plus conversions for the analyzer, storage and export."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .backtest import BacktestConfig

FILL_COLUMNS = ("date", "symbol", "side", "qty", "price", "commission", "slippage_cost", "value")
TRADE_COLUMNS = (
    "symbol",
    "entry_date",
    "exit_date",
    "qty",
    "entry_price",
    "exit_price",
    "commission",
    "pnl",
    "ret",
    "holding_days",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class BacktestResult:
    """Everything a run produced. Money is ``Decimal``; dates are ``datetime.date``.

    * ``equity_curve`` / ``baseline_curve``: one row per date from the start:
      ``{date, equity, cash, positions_value, positions: {symbol: {qty, value}}}``;
    * ``fills``: ``{date, symbol, side, qty, price, commission, slippage_cost, value}``;
    * ``trades``: FIFO round trips ``{symbol, entry_date, exit_date, qty, entry_price, exit_price,
      commission, pnl, ret, holding_days}``;
    * ``regime``: the strategy's per-bar regime rows (``date`` plus strategy-specific fields);
    * ``data_range``: first/last bar used (warm-up included), start/end of the reported period, first
      tradable date, and per-symbol first/last/bar count.
    """

    strategy_id: str
    params: dict[str, Any]
    config: BacktestConfig
    equity_curve: list[dict[str, Any]]
    baseline_symbol: str | None
    baseline_curve: list[dict[str, Any]]
    fills: list[dict[str, Any]]
    trades: list[dict[str, Any]]
    regime: list[dict[str, Any]]
    warnings: list[str]
    data_range: dict[str, Any]
    bars_processed: int
    warmup_bars: int
    open_positions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_equity(self) -> Decimal:
        """Equity on the last date (the initial capital when the curve is empty)."""
        return self.equity_curve[-1]["equity"] if self.equity_curve else self.config.initial_capital

    def equity_series(self) -> pd.Series:
        """Equity as floats indexed by date (a DatetimeIndex) — the analyzer's input."""
        return _series(self.equity_curve, "equity")

    def baseline_series(self) -> pd.Series:
        """Baseline equity as floats indexed by date (empty without a baseline)."""
        return _series(self.baseline_curve, "baseline")

    def regime_cells(self) -> list[int | None]:
        """The strategy's cell on each equity-curve date (None where it recorded none, e.g. warm-up)."""
        by_date = {row["date"]: row.get("cell") for row in self.regime}
        return [by_date.get(row["date"]) for row in self.equity_curve]

    def analyzer_inputs(self) -> dict[str, Any]:
        """Keyword arguments for ``strategies.engine.analyzer.analyze_performance`` (aligned by date)."""
        return {
            "equity_curve": self.equity_series(),
            "initial_capital": self.config.initial_capital,  # returns are measured from the capital
            "baseline_curve": self.baseline_series() if self.baseline_curve else None,
            "trades": self.trades,
            "regime_cells": self.regime_cells() if self.regime else None,
            "positions_value": [float(row["positions_value"]) for row in self.equity_curve],
        }

    def fills_frame(self) -> pd.DataFrame:
        """Fills as a DataFrame (money columns stay Decimal)."""
        return pd.DataFrame(self.fills, columns=list(FILL_COLUMNS))

    def trades_frame(self) -> pd.DataFrame:
        """Closed round trips as a DataFrame (``pnl`` as float column ``pnl_float`` too, for statistics)."""
        frame = pd.DataFrame(self.trades, columns=list(TRADE_COLUMNS))
        frame["pnl_float"] = frame["pnl"].astype(float)
        return frame

    def regime_frame(self) -> pd.DataFrame:
        """Regime rows indexed by date, target weights flattened to ``weight_<SYMBOL>`` columns."""
        rows = []
        for row in self.regime:
            flat = {k: v for k, v in row.items() if k != "target_weights"}
            for symbol, weight in (row.get("target_weights") or {}).items():
                flat[f"weight_{symbol}"] = weight
            rows.append(flat)
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame = frame.set_index(pd.DatetimeIndex(frame.pop("date"), name="date"))
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (Decimals as strings, dates ISO, NaN as null); stable key order."""
        return {
            "strategy_id": self.strategy_id,
            "params": _jsonable(self.params),
            "config": self.config.as_dict(),
            "data_range": _jsonable(self.data_range),
            "bars_processed": self.bars_processed,
            "warmup_bars": self.warmup_bars,
            "warnings": list(self.warnings),
            "equity_curve": _jsonable(self.equity_curve),
            "baseline_symbol": self.baseline_symbol,
            "baseline_curve": _jsonable(self.baseline_curve),
            "fills": _jsonable(self.fills),
            "trades": _jsonable(self.trades),
            "open_positions": _jsonable(self.open_positions),
            "regime": _jsonable(self.regime),
        }


def _series(rows: list[dict[str, Any]], name: str) -> pd.Series:
    index = pd.DatetimeIndex([r["date"] for r in rows], name="date")
    return pd.Series([float(r["equity"]) for r in rows], index=index, name=name, dtype=float)
