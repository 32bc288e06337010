"""The bars port: strategies reads market data through a reader that trading installs."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from jutsu.errors import ConfigError, DataMissing
from strategies import bars
from strategies.engine.strategy import create_strategy
from trading.selectors import market_data_frames


def test_without_an_installed_reader_reading_bars_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(bars, "_reader", None)
    with pytest.raises(ConfigError, match="no market-data reader is installed"):
        bars.bars_read(["QQQ"], date(2020, 1, 2), date(2020, 1, 10))


def test_the_trading_app_installs_the_market_data_reader():
    assert bars._reader is market_data_frames


def test_a_window_cut_from_a_larger_shared_fetch_equals_a_direct_load(market):
    strategy = create_strategy("hierarchical_adaptive_v3_5b")
    start, end = date(2020, 3, 2), date(2020, 5, 29)
    direct = bars.strategy_bars(strategy, start, end, baseline_symbol="QQQ")
    symbols = bars.strategy_symbols(strategy, "QQQ")
    shared = bars.bars_read([*symbols, "PSQ"], date(2019, 6, 3), end, warmup_bars=600)
    cut = bars.bars_window(shared, symbols, start, end, warmup=bars.warmup_bars(strategy))
    assert sorted(cut) == sorted(direct)
    for symbol, frame in direct.items():
        pd.testing.assert_frame_equal(cut[symbol], frame)
    assert len(direct["QQQ"]) == bars.warmup_bars(strategy) + len(direct["QQQ"].loc[start:end])


def test_a_required_symbol_without_bars_in_the_range_is_named(market):
    strategy = create_strategy("hierarchical_adaptive_v3_5b")
    with pytest.raises(DataMissing, match="no TQQQ bars between 2021-01-04 and 2021-01-08"):
        bars.strategy_bars(strategy, date(2021, 1, 4), date(2021, 1, 8))
