"""The dates a strategy can run over with the bars that are stored — for the demo's backtests and for the
command hints that pages show ("run a backtest from … to …"), so a hint never names dates without bars.

Coverage is read once for every strategy through the market-data port (:func:`strategies.bars.bars_coverage`);
each strategy's range then follows from its symbols and warm-up (:func:`strategies.bars.bars_range_available`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from jutsu.errors import ConfigError, DataMissing
from strategies.bars import bars_coverage, bars_range_available
from strategies.engine.errors import EngineError
from strategies.engine.strategy import get_strategy_class
from strategies.models import Strategy
from strategies.services.registry import strategy_effective_params


@dataclass(frozen=True)
class RunRange:
    """Where a run of one strategy can start and end, or why it cannot run (``problem``; dates are None)."""

    strategy_id: str
    start: date | None = None
    end: date | None = None
    problem: str = ""

    @property
    def available(self) -> bool:
        return self.start is not None and self.end is not None


def strategy_run_range(strategy: Strategy) -> tuple[date, date]:
    """First trading day after the warm-up and last date every required symbol of ``strategy`` covers.

    :class:`DataMissing` names the symbols without bars or says how short the history is.
    """
    engine = get_strategy_class(strategy.strategy_class)(strategy_effective_params(strategy))
    return bars_range_available(engine, bars_coverage(engine.required_symbols))


def strategy_run_ranges(strategies: Iterable[Strategy]) -> dict[str, RunRange]:
    """:class:`RunRange` of each strategy, by id: one coverage query for all of them (plus each strategy's
    parameter overrides). A strategy whose bars or configuration do not allow a run gets its ``problem``."""
    engines, ranges = {}, {}
    for strategy in strategies:
        try:
            engines[strategy.strategy_id] = get_strategy_class(strategy.strategy_class)(
                strategy_effective_params(strategy)
            )
        except (ConfigError, EngineError) as exc:
            ranges[strategy.strategy_id] = RunRange(strategy.strategy_id, problem=f"configuration: {exc}")
    coverage = bars_coverage(s for engine in engines.values() for s in engine.required_symbols) if engines else {}
    for strategy_id, engine in engines.items():
        try:
            start, end = bars_range_available(engine, coverage)
        except DataMissing as exc:
            ranges[strategy_id] = RunRange(strategy_id, problem=str(exc))
        else:
            ranges[strategy_id] = RunRange(strategy_id, start, end)
    return ranges
