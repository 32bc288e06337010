"""The live decision equals the backtest's decision on its last day, sized against the supplied account."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pandas as pd
import pytest

from strategies.engine import AccountState, BacktestConfig, BacktestConfigError, DataError, decide, run_backtest
from strategies.engine.strategy import create_strategy
from tests.engine.helpers import bars, load_market

START, END = dt.date(2020, 2, 3), dt.date(2020, 5, 29)


@pytest.fixture(scope="module")
def market():
    return load_market("QQQ", "TQQQ", "TLT", "TMF")


def window(data: dict[str, pd.DataFrame], end: dt.date, warmup: int = 260) -> dict[str, pd.DataFrame]:
    """Bars up to ``end`` with ``warmup`` bars before START (what the live runner loads for day ``end``)."""
    out = {}
    for symbol, frame in data.items():
        days = frame.index.date
        before = int((days < START).sum())
        out[symbol] = frame.iloc[max(0, before - warmup) : int((days <= end).sum())]
    return out


def config(end: dt.date) -> BacktestConfig:
    return BacktestConfig(initial_capital=Decimal("10000"), start=START, end=end, baseline_symbol="QQQ")


def test_every_day_the_decision_against_the_simulated_account_is_the_backtests_fills(market):
    full = run_backtest(create_strategy("hierarchical_adaptive_v3_5b"), window(market, END), config(END))
    fills_by_day = defaultdict(list)
    for fill in full.fills:
        fills_by_day[fill["date"]].append(
            (fill["symbol"], fill["side"], fill["qty"], fill["price"], fill["commission"])
        )
    assert len(fills_by_day) >= 5, "the window should trade several times"
    cash, held = Decimal("10000"), {}
    for row in full.equity_curve:
        day = row["date"]
        decision = decide(
            create_strategy("hierarchical_adaptive_v3_5b"),
            window(market, day),
            config(day),
            account=AccountState(cash=cash, positions=dict(held)),
        )
        planned = [(o.symbol, o.side, o.qty, o.fill_price, o.commission) for o in decision.orders]
        assert planned == fills_by_day.get(day, []), day
        assert decision.date == day and decision.tradable
        assert decision.regime is not None and decision.context["cell"] == decision.regime["cell"]
        for symbol, side, qty, price, commission in planned:  # book the day like the ledger does
            sign = 1 if side == "buy" else -1
            cash -= sign * qty * price + commission
            held[symbol] = held.get(symbol, 0) + sign * qty
        held = {s: q for s, q in held.items() if q}
        assert cash == row["cash"] and {s: p["qty"] for s, p in row["positions"].items()} == held
        assert decision.simulated["equity"] == row["equity"]


def test_after_a_flatten_the_decision_starts_from_the_real_account(market):
    day = dt.date(2020, 5, 28)
    decision = decide(
        create_strategy("hierarchical_adaptive_v3_5b"),
        window(market, day),
        config(day),
        account=AccountState(cash=Decimal("10500")),
    )
    assert decision.targets is not None  # all cash is far from any allocation: rebalance
    assert decision.orders and {o.side for o in decision.orders} == {"buy"}
    spent = sum(o.qty * o.fill_price + o.commission for o in decision.orders)
    assert spent <= Decimal("10500") and decision.account_equity == Decimal("10500")


def test_a_day_without_drift_holds():
    data = {"QQQ": bars([100.0 + i for i in range(30)])}
    strategy = create_strategy("sma_crossover", {"symbol": "QQQ", "fast": 2, "slow": 5})
    end = data["QQQ"].index[-1].date()
    cfg = BacktestConfig(start=data["QQQ"].index[10].date(), end=end, baseline_symbol=None)
    full = run_backtest(create_strategy("sma_crossover", {"symbol": "QQQ", "fast": 2, "slow": 5}), data, cfg)
    last = full.equity_curve[-1]
    held = {s: p["qty"] for s, p in full.equity_curve[-2]["positions"].items()}
    decision = decide(strategy, data, cfg, account=AccountState(full.equity_curve[-2]["cash"], held))
    assert decision.orders == [] and last["positions"]["QQQ"]["qty"] == held["QQQ"]


def test_only_close_fills_and_known_prices_are_accepted(market):
    day = dt.date(2020, 3, 2)
    strategy = create_strategy("hierarchical_adaptive_v3_5b")
    next_open = BacktestConfig(start=START, end=day, fill="next_open")
    with pytest.raises(BacktestConfigError, match="fill"):
        decide(strategy, window(market, day), next_open, account=AccountState(Decimal("10000")))
    with pytest.raises(DataError, match="held symbol"):
        decide(strategy, window(market, day), config(day), account=AccountState(Decimal("1"), {"SPY": 3}))
