"""Portfolio simulator: cash, commission and slippage arithmetic, cash limits, FIFO round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from strategies.engine.portfolio import Costs, Portfolio, to_money

DAY1, DAY2, DAY3 = dt.date(2021, 3, 1), dt.date(2021, 3, 2), dt.date(2021, 3, 3)


def test_a_buy_pays_slipped_price_plus_per_share_commission():
    pf = Portfolio(D("10000"), Costs(D("0.01"), D("0"), D("0.001")))
    assert pf.buy(DAY1, "QQQ", 10, D("200")) == 10
    fill = pf.fills[-1]
    assert fill["price"] == D("200.200000")  # 200 × 1.001
    assert fill["commission"] == D("0.100000")
    assert fill["slippage_cost"] == D("2.000000")  # 10 × 0.2
    assert fill["value"] == D("2002.000000")
    assert pf.cash == D("10000") - D("2002") - D("0.1")


def test_a_sell_receives_slipped_price_minus_commission_and_per_trade_fee():
    pf = Portfolio(D("0"), Costs(D("0.01"), D("1"), D("0.002")))
    pf.qty["QQQ"] = 0  # nothing held: selling does nothing
    assert pf.sell(DAY1, "QQQ", 5, D("100")) == 0
    pf = Portfolio(D("10000"), Costs(D("0.01"), D("1"), D("0.002")))
    pf.buy(DAY1, "QQQ", 50, D("100"))  # 50 × 100.2 + 0.5 + 1
    cash_after_buy = D("10000") - D("5010") - D("1.5")
    assert pf.cash == cash_after_buy
    assert pf.sell(DAY2, "QQQ", 20, D("110")) == 20  # 20 × 109.78 − 0.2 − 1
    assert pf.fills[-1]["price"] == D("109.780000")
    assert pf.cash == cash_after_buy + D("2195.6") - D("1.2")
    assert pf.qty == {"QQQ": 30}


def test_slipped_prices_are_rounded_to_six_decimals():
    pf = Portfolio(D("1000"), Costs(D("0"), D("0"), D("0.001")))
    assert pf.fill_price(D("193.839996"), "buy") == D("194.033836")  # 194.033835996 rounded
    assert pf.fill_price(D("193.839996"), "sell") == D("193.646156")  # 193.646156004 rounded


def test_a_buy_beyond_the_cash_is_scaled_down_to_whole_affordable_shares():
    pf = Portfolio(D("1000"), Costs(D("0.01"), D("0"), D("0.001")))
    # wants 100 at 10.01 + 0.01 commission per share → only floor(1000 / 10.02) = 99 fit
    assert pf.buy(DAY1, "ABC", 100, D("10")) == 99
    assert pf.cash == D("1000") - D("990.99") - D("0.99")
    assert pf.scaled_buys == [(DAY1, "ABC", 100, 99)]
    assert pf.cash >= 0


def test_a_buy_that_cannot_afford_one_share_buys_nothing_and_keeps_cash():
    pf = Portfolio(D("5"), Costs(D("0"), D("1"), D("0")))
    assert pf.buy(DAY1, "ABC", 3, D("4.5")) == 0
    assert pf.cash == D("5") and pf.qty == {} and pf.fills == []


def test_sell_commission_never_drives_cash_negative():
    pf = Portfolio(D("1"), Costs(D("0"), D("0"), D("0")))
    pf.buy(DAY1, "PENNY", 1, D("1"))
    pf.costs = Costs(D("0"), D("5"), D("0"))  # a $5 ticket on a $2 sale
    pf.sell(DAY2, "PENNY", 1, D("2"))
    assert pf.cash == D("0")
    assert pf.fills[-1]["commission"] == D("2")


def test_rebalance_sells_before_buying_so_a_switch_is_funded_by_the_sale():
    pf = Portfolio(D("1000"), Costs(D("0"), D("0"), D("0")))
    pf.buy(DAY1, "A", 10, D("100"))
    assert pf.cash == 0
    pf.rebalance(DAY2, {"B": 20, "A": 0}, {"A": D("100"), "B": D("50")})
    assert [f["side"] for f in pf.fills] == ["buy", "sell", "buy"]
    assert pf.qty == {"B": 20} and pf.cash == 0


def test_round_trips_match_sells_to_the_oldest_buys_with_pro_rata_commissions():
    pf = Portfolio(D("100000"), Costs(D("0.01"), D("1"), D("0")))
    pf.buy(DAY1, "A", 10, D("100"))  # commission 1.10
    pf.buy(DAY2, "A", 30, D("110"))  # commission 1.30
    pf.sell(DAY3, "A", 20, D("120"))  # commission 1.20, split 10/10 over the two lots
    first, second = pf.trades
    assert (first["entry_date"], first["qty"], first["entry_price"]) == (DAY1, 10, D("100"))
    assert first["pnl"] == 10 * D("20") - D("1.1") - D("0.6")
    assert first["ret"] == pytest.approx(float(first["pnl"]) / 1000)
    # a third of lot two's commission (1.30 × 10/30) is attributed to this trade
    assert (second["entry_date"], second["qty"]) == (DAY2, 10)
    assert second["pnl"] == 10 * D("10") - D("0.433333") - D("0.6")
    assert list(pf.open_lots()) == [{"symbol": "A", "entry_date": DAY2, "qty": 20, "entry_price": D("110")}]


def test_money_is_kept_to_six_decimals():
    assert to_money(0.1 + 0.2) == D("0.300000")
    assert to_money(D("1.23456789")) == D("1.234568")
    with pytest.raises(ValueError):
        to_money(float("nan"))
