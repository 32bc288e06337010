"""Walk-forward analysis: rolling in-sample / out-of-sample windows over a grid's equity curves.

Windows (over the trading dates of the reported range, all full length)::

    window k:  IS  = dates[k·step … k·step + is_bars − 1]
               OOS = dates[k·step + is_bars … k·step + is_bars + oos_bars − 1],   step = oos_bars

so consecutive OOS windows are adjacent and never overlap, and every OOS window follows its IS window.

Each combination of the grid is backtested once over the whole range (warm-up before the start, exactly
like a single backtest); a window's metrics are the analyzer's metrics of that equity curve cut to the
window, with the equity of the day before the window as the base (so the window's returns are exactly
its own days'). Per window the combination with the best **in-sample** metric is chosen — nothing of the
OOS window is looked at — and its OOS returns are chained into the stitched OOS equity curve, which
starts at the first OOS day from ``initial_equity``. Holding the chosen combination's own position into
its OOS window is what switching to it at the IS end would do (less the cost of that one rebalance).

Walk-forward efficiency (the spec; Pardo, *The Evaluation and Optimization of Trading Strategies*,
2008, uses annualised returns in the same ratio) = mean over windows of the OOS metric / mean over
windows of the chosen combination's IS metric. Parameter stability: per parameter, the value chosen in
each window, how often it changed and the share of windows that chose its most frequent value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from .grid import RANKING_METRICS, GridError, metric_score

#: Metrics defined by an equity curve alone (what a window slice has: no trades, no baseline).
WINDOW_METRICS = tuple(m for m in RANKING_METRICS if m not in ("alpha", "win_rate", "profit_factor", "expectancy"))

Analyze = Callable[[pd.Series], Mapping[str, Any]]


@dataclass(frozen=True)
class Window:
    """Positions (inclusive) of one IS/OOS pair in the curve's dates."""

    index: int
    is_first: int
    is_last: int
    oos_first: int
    oos_last: int


def walk_forward_windows(n_dates: int, is_bars: int = 252, oos_bars: int = 63) -> list[Window]:
    """Rolling windows over ``n_dates`` trading dates; only complete IS and OOS windows are formed."""
    if is_bars < 2 or oos_bars < 1:
        raise GridError("is_bars" if is_bars < 2 else "oos_bars", "IS needs ≥ 2 bars and OOS ≥ 1 bar")
    windows = []
    k = 0
    while (k * oos_bars) + is_bars + oos_bars <= n_dates:
        first = k * oos_bars
        windows.append(Window(k, first, first + is_bars - 1, first + is_bars, first + is_bars + oos_bars - 1))
        k += 1
    if not windows:
        raise GridError(
            None,
            f"the range has {n_dates} trading days; a walk-forward needs at least is_bars + oos_bars = "
            f"{is_bars + oos_bars} (choose a longer range or shorter windows)",
        )
    return windows


def _slice(curve: pd.Series, first: int, last: int) -> pd.Series:
    """The curve from the day before ``first`` (the base) to ``last``, inclusive."""
    return curve.iloc[max(first - 1, 0) : last + 1]


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(known)) if known else None


def _date(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def walk_forward(
    curves: Mapping[str, pd.Series],
    params: Mapping[str, Mapping[str, Any]],
    *,
    metric: str,
    analyze: Analyze,
    is_bars: int = 252,
    oos_bars: int = 63,
    initial_equity: float = 1.0,
) -> dict[str, Any]:
    """Walk-forward over equity ``curves`` (combination key → equity indexed by date, all on the same dates).

    ``params`` maps the same keys to each combination's parameters; ``analyze`` turns an equity slice into
    metrics (the platform passes the analyzer). Returns ``windows``, ``oos_equity``, ``efficiency`` and
    ``stability`` (JSON-ready: dates ISO, floats).
    """
    if metric not in WINDOW_METRICS:
        raise GridError("metric", f"{metric!r} needs trades or a baseline; walk-forward ranks by {WINDOW_METRICS}")
    keys = list(curves)
    if not keys:
        raise GridError(None, "no completed combination to walk forward over")
    index = curves[keys[0]].index
    for key in keys[1:]:
        if not curves[key].index.equals(index):
            raise ValueError(f"combination {key}: its equity curve has other dates than the first one's")
    windows = walk_forward_windows(len(index), is_bars, oos_bars)

    rows: list[dict[str, Any]] = []
    stitched_dates: list[str] = []
    stitched: list[float] = []
    level = float(initial_equity)
    for w in windows:
        best_key, best_score, best_is = keys[0], None, None
        for key in keys:  # the choice sees in-sample bars only
            is_metrics = analyze(_slice(curves[key], w.is_first, w.is_last))
            score = metric_score(is_metrics, metric)
            if score is not None and (best_score is None or score > best_score):
                best_key, best_score, best_is = key, score, is_metrics
        if best_is is None:
            best_is = analyze(_slice(curves[best_key], w.is_first, w.is_last))
        oos = _slice(curves[best_key], w.oos_first, w.oos_last)
        oos_metrics = analyze(oos)
        values = oos.to_numpy(dtype=float)
        growth = values[1:] / values[0]
        stitched_dates += [_date(d) for d in oos.index[1:]]
        stitched += (level * growth).tolist()
        level = stitched[-1]
        rows.append(
            {
                "index": w.index,
                "is_start": _date(index[w.is_first]),
                "is_end": _date(index[w.is_last]),
                "oos_start": _date(index[w.oos_first]),
                "oos_end": _date(index[w.oos_last]),
                "best_key": best_key,
                "best_params": dict(params[best_key]),
                "is_metrics": dict(best_is),
                "oos_metrics": dict(oos_metrics),
            }
        )
    is_mean = _mean([_num(r["is_metrics"].get(metric)) for r in rows])
    oos_mean = _mean([_num(r["oos_metrics"].get(metric)) for r in rows])
    efficiency = None if not is_mean or oos_mean is None else oos_mean / is_mean
    return {
        "metric": metric,
        "is_bars": is_bars,
        "oos_bars": oos_bars,
        "windows": rows,
        "oos_equity": [{"date": d, "equity": e} for d, e in zip(stitched_dates, stitched, strict=True)],
        "is_mean": is_mean,
        "oos_mean": oos_mean,
        "efficiency": efficiency,
        "stability": parameter_stability([r["best_params"] for r in rows], varied=_varied(params.values())),
    }


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    return float(value)


def _varied(combinations) -> list[str]:
    """Names of the parameters that take more than one value across the combinations."""
    seen: dict[str, set[str]] = {}
    for combo in combinations:
        for name, value in combo.items():
            seen.setdefault(name, set()).add(repr(value))
    return [name for name, values in seen.items() if len(values) > 1]


def parameter_stability(chosen: Sequence[Mapping[str, Any]], *, varied: Sequence[str] | None = None) -> dict[str, Any]:
    """Per parameter (the ``varied`` ones, default all): chosen value by window, number of changes, most
    frequent value and its share.

    ``score`` is the mean share of the most frequent value over those parameters (1.0: the same
    parameters won every window).
    """
    out: dict[str, Any] = {}
    names = list(varied) if varied is not None else list(dict.fromkeys(n for params in chosen for n in params))
    for name in names:
        values = [params.get(name) for params in chosen]
        changes = sum(1 for a, b in pairwise(values) if a != b)
        mode, count = Counter(map(repr, values)).most_common(1)[0]
        mode_value = next(v for v in values if repr(v) == mode)
        out[name] = {"values": values, "changes": changes, "mode": mode_value, "mode_share": count / len(values)}
    shares = [entry["mode_share"] for entry in out.values()]
    return {"parameters": out, "score": float(np.mean(shares)) if shares else None}
