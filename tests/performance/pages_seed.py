"""Rows for the page tests (strategies, a consistent daily-performance history, backtest runs, overrides) and
the checks every page passes."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from jutsu.models import ConfigOverride
from performance.models import DailyPerformance, EntityType
from strategies.models import BacktestRun, BacktestStatus, Strategy
from trading.models import DataMetadata

CDN = re.compile(r"https?://(cdn|unpkg|cdnjs|code\.jquery|ajax\.googleapis|fonts\.googleapis)", re.I)


def page_html(response) -> str:
    """The page's HTML, once it is known to be a 200 without a traceback and without assets from a CDN."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "Traceback" not in html
    assert CDN.search(html) is None, "page loads assets from a CDN"
    return html


def chart_payload(html: str, script_id: str) -> dict:
    """The charts' ``json_script`` payload with this id."""
    match = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no chart payload"
    return json.loads(match.group(1))


def strategy_create(strategy_id: str, *, display_name: str | None = None, primary=False, active=True, order=1):
    return Strategy.objects.create(
        strategy_id=strategy_id,
        display_name=display_name or f"Strategy {strategy_id}",
        strategy_class="hierarchical_adaptive_v3_5b",
        config_file=f"strategies/{strategy_id}.yaml",
        is_primary=primary,
        is_active=active,
        execution_order=order,
        initial_capital=Decimal("100000"),
        baseline_symbol="QQQ",
        synced_at=timezone.now(),
    )


def _weekdays(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def equity_path(count: int, *, drift: float = 0.0006, wobble: float = 0.012, phase: float = 0.0) -> list[float]:
    """A deterministic equity curve with ups and downs (so drawdowns exist)."""
    equity, out = 100_000.0, []
    for i in range(count):
        if i:
            equity *= 1 + drift + wobble * math.sin(i / 7 + phase)
        out.append(round(equity, 2))
    return out


def daily_performance_create(
    entity_id: str,
    *,
    entity_type: str = EntityType.STRATEGY,
    mode: str = "paper",
    start: date = date(2019, 1, 2),
    days: int = 120,
    phase: float = 0.0,
) -> list[DailyPerformance]:
    """``days`` weekday rows whose returns, drawdowns and high-water marks agree with the equity."""
    is_strategy = entity_type == EntityType.STRATEGY
    rows, peak, worst = [], 0.0, 0.0
    dates = _weekdays(start, days)
    equities = equity_path(days, phase=phase)
    for i, (day, equity) in enumerate(zip(dates, equities, strict=True)):
        peak = max(peak, equity)
        drawdown = equity / peak - 1.0
        worst = min(worst, drawdown)
        cell = 1 + (i // 10) % 6
        rows.append(
            DailyPerformance(
                trading_date=day,
                entity_type=entity_type,
                entity_id=entity_id,
                mode=mode,
                total_equity=Decimal(str(equity)),
                cash=Decimal("1000"),
                positions_value=Decimal(str(equity - 1000)),
                daily_return=0.0 if i == 0 else equity / equities[i - 1] - 1.0,
                cumulative_return=equity / equities[0] - 1.0,
                drawdown=drawdown,
                high_water_mark=Decimal(str(peak)),
                sharpe_ratio=None if i < 2 else 1.23,
                sortino_ratio=None if i < 2 else 1.87,
                calmar_ratio=None if i < 2 else 0.95,
                max_drawdown=worst,
                volatility=None if i < 2 else 0.18,
                cagr=None if i < 2 else 0.21,
                total_trades=i // 5 if is_strategy else 0,
                winning_trades=(i // 5) // 2 if is_strategy else 0,
                losing_trades=(i // 5) - (i // 5) // 2 if is_strategy else 0,
                win_rate=0.5 if is_strategy and i >= 5 else None,
                strategy_cell=cell if is_strategy else None,
                trend_state=("BullStrong", "Sideways", "BearStrong")[(cell - 1) // 2] if is_strategy else "",
                vol_state=("Low", "High")[(cell - 1) % 2] if is_strategy else "",
                t_norm=0.4321 if is_strategy else None,
                z_score=-0.75 if is_strategy else None,
                baseline_symbol="QQQ" if is_strategy else "",
                initial_capital=Decimal("100000"),
                trading_days_count=i + 1,
                days_since_previous=0 if i == 0 else (day - dates[i - 1]).days,
                is_first_day=i == 0,
                kpi_state={},
                finalized_at=timezone.now(),
            )
        )
    return DailyPerformance.objects.bulk_create(rows)


def coverage_create(symbols=("QQQ", "TQQQ"), *, first=date(2014, 1, 2), last=date(2026, 11, 27)) -> None:
    """Coverage rows as an import leaves them: daily bars of ``symbols`` stored from ``first`` to ``last``."""
    for symbol in symbols:
        DataMetadata.objects.create(
            symbol=symbol,
            timeframe="1D",
            first_bar_at=datetime(first.year, first.month, first.day, tzinfo=UTC),
            last_bar_at=datetime(last.year, last.month, last.day, tzinfo=UTC),
            bar_count=3000,
            valid_bar_count=3000,
        )


def backtest_run_create(strategy: Strategy | None = None, *, days: int = 60, **fields) -> BacktestRun:
    """A completed run with curves, fills, trades, regime rows and metrics shaped like the engine's output."""
    dates = [d.isoformat() for d in _weekdays(date(2020, 1, 2), days)]
    equity = equity_path(days)
    baseline = equity_path(days, drift=0.0004, phase=1.0)
    defaults = {
        "strategy": strategy,
        "strategy_id_text": strategy.strategy_id if strategy else "gone_strategy",
        "strategy_class": "hierarchical_adaptive_v3_5b",
        "status": BacktestStatus.COMPLETED,
        "params": {"T_max": 50, "sma_fast": 40, "sma_slow": 140, "use_inverse_hedge": False},
        "config": {"initial_capital": "100000", "baseline_symbol": "QQQ", "fill": "close", "slippage": "0.001"},
        "start_date": date.fromisoformat(dates[0]),
        "end_date": date.fromisoformat(dates[-1]),
        "initial_capital": Decimal("100000"),
        "final_equity": Decimal(str(equity[-1])),
        "metrics": {
            "total_return": equity[-1] / equity[0] - 1,
            "cagr": 0.1834,
            "sharpe": 1.4567,
            "sortino": 2.01,
            "max_drawdown": -0.1523,
            "calmar": 1.2,
            "volatility": 0.22,
            "win_rate": 1.0,
            "profit_factor": "inf",
            "total_trades": 3,
            "regime_cells": [
                {"cell": 1, "days": 20, "strategy_return": 0.05, "baseline_return": 0.03},
                {"cell": 6, "days": 5, "strategy_return": -0.01, "baseline_return": -0.04},
            ],
        },
        "equity_curve": [
            {"date": d, "equity": str(e), "cash": "0", "positions_value": str(e)}
            for d, e in zip(dates, equity, strict=True)
        ],
        "baseline_curve": [{"date": d, "equity": str(e)} for d, e in zip(dates, baseline, strict=True)],
        "fills": [{"date": dates[i], "symbol": "TQQQ", "side": "buy", "qty": "10", "price": "50.00"} for i in range(7)],
        "trades": [
            {
                "symbol": "TQQQ",
                "entry_date": dates[i],
                "exit_date": dates[i + 5],
                "qty": "10",
                "entry_price": "50.00",
                "exit_price": "55.50",
                "commission": "0.2",
                "pnl": "55.00",
                "ret": 0.11,
                "holding_days": 7,
            }
            for i in range(3)
        ],
        "regime": [
            {"date": d, "cell": 1 + (i // 10) % 6, "trend_state": "BullStrong", "vol_state": "Low", "t_norm": 0.3}
            for i, d in enumerate(dates)
        ],
        "warnings": ["QQQ has 2 missing bars (filled forward)"],
        "duration_seconds": 1.25,
    }
    defaults.update(fields)
    return BacktestRun.objects.create(**defaults)


def config_override_create(*, parameter="trading.max_position_pct", value="0.5", expires_in_hours=24, user=None):
    return ConfigOverride.objects.create(
        parameter=parameter,
        value=value,
        value_type="float",
        reason="test",
        created_by=user,
        expires_at=None if expires_in_hours is None else timezone.now() + timedelta(hours=expires_in_hours),
    )
