"""Strategy base class, decision context and the class registry.

Writing a strategy (see ``library/sma_crossover.py`` for a complete example)::

    @register_strategy
    class MyStrategy(Strategy):
        class_id = "my_strategy"
        param_specs = (Param("symbol", str, "QQQ"), Param("window", int, 50, min=2))

        @property
        def required_symbols(self):
            return (self.p.symbol,)

        @property
        def warmup_bars(self):
            return self.p.window

        def on_bar(self, bar):
            above = bar.close(self.p.symbol) > bar.value(self.p.symbol, sma, self.p.window)
            return {self.p.symbol: 1.0} if above else {}

``on_bar`` is called for every bar in date order, warm-up included (``bar.tradable`` is False then and
whatever it returns is ignored). It returns target weights — a mapping symbol → fraction of equity
(≥ 0, summing to ≤ 1, the rest is cash; symbols left out are sold) — or ``None`` to keep the current
holdings. Alternatively it calls :meth:`Strategy.buy` / :meth:`Strategy.sell`, which only touch the
named symbols.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

from ._tally import WarningTally
from .errors import InvalidOrderError, StrategyNotFoundError
from .feed import Bar
from .params import Param, validate_params

CASH = "cash"


@dataclass
class Regime:
    """Market regime as a strategy classifies it (all optional: simple strategies leave them None)."""

    trend_state: str | None = None
    vol_state: str | None = None
    cell: int | None = None


@dataclass
class StrategyContext:
    """What the strategy thinks after its latest bar: regime, indicator values, targets and why."""

    date: Any = None
    regime: Regime = field(default_factory=Regime)
    indicators: dict[str, Any] = field(default_factory=dict)
    target_weights: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly copy (dates as ISO strings)."""
        return {
            "date": self.date.isoformat() if hasattr(self.date, "isoformat") else self.date,
            "trend_state": self.regime.trend_state,
            "vol_state": self.regime.vol_state,
            "cell": self.regime.cell,
            "indicators": dict(self.indicators),
            "target_weights": dict(self.target_weights),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Order:
    """A buy/sell request by portfolio percent (see :meth:`Strategy.buy` / :meth:`Strategy.sell`)."""

    side: str
    symbol: str
    pct: float


class Strategy:
    """Base class: declared parameters, symbols and warm-up; one decision per bar."""

    class_id: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    param_specs: ClassVar[tuple[Param, ...]] = ()

    def __init__(self, params: Mapping[str, Any] | None = None, **overrides: Any) -> None:
        self.params: dict[str, Any] = validate_params(self.param_specs, {**(params or {}), **overrides})
        self.p = SimpleNamespace(**self.params)
        self.check_params()
        self.context = StrategyContext()
        self._orders: list[Order] = []
        self._warnings = WarningTally()

    # ------------------------------------------------------------------ declarations (override)
    def check_params(self) -> None:
        """Cross-parameter checks; raise StrategyParameterError (e.g. fast window ≥ slow window)."""

    @property
    def required_symbols(self) -> tuple[str, ...]:
        """Symbols without which the strategy cannot run (the first one paces warm-up)."""
        raise NotImplementedError

    @property
    def optional_symbols(self) -> tuple[str, ...]:
        """Symbols used when data exists; without them the strategy degrades and says so."""
        return ()

    @property
    def symbols(self) -> tuple[str, ...]:
        """Required then optional symbols, each once."""
        return tuple(dict.fromkeys((*self.required_symbols, *self.optional_symbols)))

    @property
    def primary_symbol(self) -> str:
        """The symbol whose bars count the warm-up."""
        return self.required_symbols[0]

    @property
    def warmup_bars(self) -> int:
        """Bars of the primary symbol (including the current one) a first decision needs."""
        return 1

    def on_bar(self, bar: Bar) -> Mapping[str, float] | None:
        """Process one bar; return target weights, or None to hold (see the module docstring)."""
        raise NotImplementedError

    def regime_row(self) -> dict[str, Any] | None:
        """The regime-timeseries row for the latest bar (None: nothing to record)."""
        return None

    # ------------------------------------------------------------------ helpers for on_bar
    def buy(self, symbol: str, pct: float = 1.0) -> None:
        """Raise the holding of ``symbol`` to ``pct`` (0…1) of equity; never sells."""
        self._orders.append(Order("buy", symbol, self._check_pct(symbol, pct)))

    def sell(self, symbol: str, pct: float = 1.0) -> None:
        """Sell the fraction ``pct`` (0…1) of the current holding of ``symbol`` (1.0 closes it)."""
        self._orders.append(Order("sell", symbol, self._check_pct(symbol, pct)))

    def _check_pct(self, symbol: str, pct: float) -> float:
        if symbol not in self.symbols:
            raise InvalidOrderError(f"order for {symbol!r}: not one of this strategy's symbols {list(self.symbols)}")
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0.0 <= pct <= 1.0:
            raise InvalidOrderError(f"order for {symbol!r}: portfolio percent must be between 0 and 1, got {pct!r}")
        return float(pct)

    def take_orders(self) -> list[Order]:
        """Orders placed during the last ``on_bar`` (the engine collects them once)."""
        orders, self._orders = self._orders, []
        return orders

    def warn(self, key: str, message: str, bar: Bar | None = None) -> None:
        """Record a data/degradation warning once per ``key``, counting repeats (shown on the result).

        Warnings describe the traded period: a call on a warm-up bar (``bar.tradable`` False) is ignored.
        """
        if bar is not None and not bar.tradable:
            return
        self._warnings.add(key, message, bar.date if bar is not None else None)

    @property
    def warnings(self) -> list[str]:
        """Human-readable warnings gathered so far."""
        return self._warnings.lines("bars")

    def validate_targets(self, targets: Mapping[str, float]) -> dict[str, float]:
        """Check target weights (known symbols, finite, ≥ 0, sum ≤ 1) and drop the cash entry."""
        clean: dict[str, float] = {}
        total = 0.0
        for symbol, weight in targets.items():
            if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
                raise InvalidOrderError(f"target weight for {symbol!r} must be a finite number, got {weight!r}")
            if weight < 0:
                raise InvalidOrderError(f"target weight for {symbol!r} is negative ({weight}); no short selling")
            if symbol == CASH:
                continue
            if symbol not in self.symbols:
                raise InvalidOrderError(f"target weight for {symbol!r}: not one of this strategy's symbols")
            clean[symbol] = float(weight)
            total += weight
        if total > 1.0 + 1e-9:
            raise InvalidOrderError(f"target weights sum to {total:.6f} > 1 (no leverage beyond cash)")
        return clean

    # ------------------------------------------------------------------ description
    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Id, name, description and parameter specs (for the registry, forms and the API)."""
        return {
            "class_id": cls.class_id,
            "name": cls.display_name or cls.__name__,
            "description": cls.description or (cls.__doc__ or "").strip().splitlines()[0],
            "params": [spec.describe() for spec in cls.param_specs],
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.class_id} {self.params}>"


# ---------------------------------------------------------------------- registry

_REGISTRY: dict[str, type[Strategy]] = {}


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator adding ``cls`` to the registry under ``cls.class_id``."""
    if not cls.class_id:
        raise TypeError(f"{cls.__name__} needs a class_id to be registered")
    existing = _REGISTRY.get(cls.class_id)
    if existing is not None and existing is not cls:
        raise TypeError(f"strategy id {cls.class_id!r} already registered by {existing.__name__}")
    _REGISTRY[cls.class_id] = cls
    return cls


def _load_builtin() -> None:
    from . import library  # noqa: F401  (registers the built-in strategies on import)


def get_strategy_class(class_id: str) -> type[Strategy]:
    """The strategy class registered under ``class_id``; StrategyNotFoundError (with a hint) otherwise."""
    _load_builtin()
    try:
        return _REGISTRY[class_id]
    except KeyError:
        hint = difflib.get_close_matches(str(class_id), list(_REGISTRY), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; known: {', '.join(sorted(_REGISTRY))}"
        raise StrategyNotFoundError(f"unknown strategy class {class_id!r}{suggestion}")


def list_strategy_classes() -> list[str]:
    """Registered class ids, sorted."""
    _load_builtin()
    return sorted(_REGISTRY)


def create_strategy(class_id: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """Instantiate the registered strategy ``class_id`` with validated ``params``."""
    return get_strategy_class(class_id)(params)
