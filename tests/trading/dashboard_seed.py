"""Rows for the dashboard tests of the trading app: regime states that agree with the allocator's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from trading.models import RegimeState
from trading.regime_tree import TRENDS, VOL_STATES


def weekdays(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def regime_rows_create(
    strategy_id: str, *, mode: str = "paper", start: date = date(2024, 3, 1), days: int = 30, cells=None
) -> list[RegimeState]:
    """``days`` weekday regime rows; the cell changes every 5 days (or follows ``cells``) and the indicator
    values are consistent with the trend and vol state of the cell (T_norm above/below the default thresholds,
    SMA order, z beyond the hysteresis band)."""
    rows = []
    for i, day in enumerate(weekdays(start, days)):
        cell = cells[i] if cells else 1 + (i // 5) % 6
        trend, vol = TRENDS[(cell - 1) // 2], VOL_STATES[(cell - 1) % 2]
        t_norm = {"BullStrong": 0.42, "Sideways": -0.1, "BearStrong": -0.55}[trend]
        fast, slow = (412.5, 398.25) if trend != "BearStrong" else (380.0, 395.5)
        rows.append(
            RegimeState(
                strategy_id=strategy_id,
                mode=mode,
                trading_date=day,
                strategy_cell=cell,
                trend_state=trend,
                vol_state=vol,
                t_norm=t_norm + i / 1000,
                z_score=1.4 if vol == "High" else -0.3,
                sma_fast=fast,
                sma_slow=slow,
                bond_sma_fast=92.0,
                bond_sma_slow=90.0,
                bond_trend="Bull",
                vol_crush=False,
                indicators={"sigma": 0.21, "drift": 0.01},
                target_weights={"TQQQ": 0.6, "QQQ": 0.4} if cell == 1 else {"QQQ": 0.5, "TMF": 0.2, "CASH": 0.3},
                rebalance=i % 5 == 0,
                reason=f"cell {cell}",
                decided_at=datetime.combine(day, time(14, 45), tzinfo=UTC),
            )
        )
    return RegimeState.objects.bulk_create(rows)


def trades_bulk_create(
    strategy_id: str, count: int, *, mode: str = "paper", symbols=("TQQQ", "QQQ", "TMF"), start: date = date(2024, 3, 1)
):
    """``count`` filled trades (alternating buys and sells, one per weekday) without going through the ledger —
    for list pages where only the rows matter. Sells carry a realised P&L (wins and losses alternate)."""
    from decimal import Decimal

    from trading.models import LiveTrade

    rows = []
    for i, day in enumerate(weekdays(start, count)):
        sell = i % 2 == 1
        price = Decimal("50") + i
        rows.append(
            LiveTrade(
                strategy_id=strategy_id,
                mode=mode,
                symbol=symbols[i % len(symbols)],
                timestamp=datetime.combine(day, time(14, 45), tzinfo=UTC),
                trading_date=day,
                action="SELL" if sell else "BUY",
                quantity=Decimal(10 + i),
                target_price=price,
                fill_price=price,
                fill_value=price * (10 + i),
                commission=Decimal("0.10"),
                slippage_pct=0.1,
                realized_pnl=(Decimal("12.5") if i % 4 == 1 else Decimal("-3.25")) if sell else None,
                strategy_cell=1 + i % 6,
                reason="Rebalance",
            )
        )
    return LiveTrade.objects.bulk_create(rows)
