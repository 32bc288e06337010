"""Test helpers for the performance app: strategies, market data, snapshots and real backtest runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.utils import timezone

from jutsu.scheduler import calendar
from performance.models import PerformanceSnapshot
from strategies.engine import BacktestConfig, create_strategy, run_backtest
from strategies.engine.analyzer import analyze_performance
from strategies.models import BacktestRun, BacktestStatus, Strategy
from trading.models import MarketData


def strategy_make(strategy_id: str, *, order: int = 100, capital: str = "10000", baseline: str = "QQQ", **extra):
    return Strategy.objects.create(
        strategy_id=strategy_id,
        display_name=extra.pop("display_name", strategy_id),
        strategy_class=extra.pop("strategy_class", "sma_crossover"),
        config_file=f"config/strategies/{strategy_id}.yaml",
        execution_order=order,
        initial_capital=Decimal(capital),
        baseline_symbol=baseline,
        synced_at=timezone.now(),
        **extra,
    )


def bars_store(symbol: str, closes: dict[date, float]) -> None:
    """Daily bars with the given closes (open = high = low = close; enough for marking and baselines)."""
    MarketData.objects.bulk_create(
        [
            MarketData(
                symbol=symbol,
                timeframe="1D",
                timestamp=datetime.combine(day, time(0), tzinfo=UTC),
                open=Decimal(str(close)),
                high=Decimal(str(close)),
                low=Decimal(str(close)),
                close=Decimal(str(close)),
                volume=1000,
                data_source="csv",
            )
            for day, close in closes.items()
        ],
        batch_size=1000,
    )


def csv_frame(path: Path, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """A shared Yahoo-layout CSV as the engine's frame (index ``datetime.date``, float OHLCV)."""
    frame = pd.read_csv(path, parse_dates=["Date"], na_values="null").dropna(subset=["Close"])
    frame = frame.set_index("Date").loc[start:end]
    out = pd.DataFrame(
        {
            "open": frame["Open"].astype(float),
            "high": frame["High"].astype(float),
            "low": frame["Low"].astype(float),
            "close": frame["Close"].astype(float),
            "volume": frame["Volume"].astype(float),
        }
    )
    out.index = pd.Index([d.date() for d in out.index], name="date", dtype="object")
    return out


def csv_bars_store(path: Path, symbol: str, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Store a shared CSV's bars (high/low widened to contain open and close, as the importer repairs them)."""
    frame = csv_frame(path, start, end)

    def price(value) -> Decimal:
        return Decimal(repr(float(value))).quantize(Decimal("0.000001"))

    bars = []
    for day, row in frame.iterrows():
        o, h, lo, c = price(row.open), price(row.high), price(row.low), price(row.close)
        bars.append(
            MarketData(
                symbol=symbol,
                timeframe="1D",
                timestamp=datetime.combine(day, time(0), tzinfo=UTC),
                open=o,
                high=max(o, h, lo, c),
                low=min(o, h, lo, c),
                close=c,
                volume=int(row.volume),
                data_source="csv",
            )
        )
    MarketData.objects.bulk_create(bars, batch_size=2000)
    return frame


def backtest_run_store(
    strategy: Strategy, data: dict[str, pd.DataFrame], start: date, end: date, *, risk_free_rate: float = 0.0
) -> BacktestRun:
    """Run the engine like the backtest command does and store the run (metrics from the analyzer)."""
    engine_strategy = create_strategy(strategy.strategy_class, strategy.parameters or None)
    config = BacktestConfig(
        initial_capital=strategy.initial_capital, baseline_symbol=strategy.baseline_symbol, start=start, end=end
    )
    result = run_backtest(engine_strategy, data, config)
    metrics = analyze_performance(**result.analyzer_inputs(), risk_free_rate=risk_free_rate).as_dict()
    stored = json.loads(json.dumps(result.to_dict()))
    return BacktestRun.objects.create(
        strategy=strategy,
        strategy_id_text=strategy.strategy_id,
        strategy_class=strategy.strategy_class,
        status=BacktestStatus.COMPLETED,
        params=stored["params"],
        config=stored["config"],
        start_date=start,
        end_date=end,
        initial_capital=strategy.initial_capital,
        final_equity=result.final_equity,
        metrics=metrics,
        equity_curve=stored["equity_curve"],
        baseline_curve=stored["baseline_curve"],
        trades=stored["trades"],
        regime=stored["regime"],
    )


def snapshot_make(
    strategy_id: str,
    day: date,
    equity: float | str,
    *,
    hour: int = 16,
    minute: int = 5,
    mode: str = "paper",
    source: str = "market_close",
    cash: str | None = None,
    positions: dict | None = None,
    cell: int | None = None,
) -> PerformanceSnapshot:
    moment = datetime.combine(day, time(hour, minute), tzinfo=calendar.NEW_YORK)
    equity_dec = Decimal(str(equity))
    cash_dec = Decimal(cash) if cash is not None else equity_dec
    return PerformanceSnapshot.objects.create(
        strategy_id=strategy_id,
        mode=mode,
        source=source,
        timestamp=moment,
        total_equity=equity_dec,
        cash=cash_dec,
        positions_value=equity_dec - cash_dec,
        positions=positions or {},
        strategy_cell=cell,
        trend_state="BullStrong" if cell else "",
        vol_state="Low" if cell else "",
    )
