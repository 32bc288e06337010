"""Monte Carlo resampling of a run's daily returns: how much of its result is the order and the luck
of its days.

Given the ``n`` daily returns ``r`` of an equity curve, ``paths`` new sequences of ``n`` returns are drawn
with a seeded :class:`numpy.random.Generator` (all paths at once, as one ``paths × n`` matrix):

* ``shuffle``   — a random permutation of ``r`` per path (without replacement). Total return, CAGR and
  Sharpe are unchanged (a product and a mean/std do not depend on order); drawdowns change. Answers
  "how bad could the drawdown have been with the same days in another order?"
* ``bootstrap`` — ``n`` draws with replacement (Efron 1979): every statistic varies.
* ``block``     — the circular block bootstrap (Politis & Romano 1992): blocks of ``block_size``
  consecutive returns (wrapping around the end) starting at random points, concatenated and cut to ``n``;
  keeps short-range dependence such as volatility clustering.

Per path (``E`` the path's equity, starting from 1): total return ``Π(1 + r) − 1``; CAGR
``(1 + total) ** (365.25 / calendar_days) − 1`` over the original curve's calendar span; Sharpe
``mean(r − rf_d) / std(r, ddof=1) × √252`` (the analyzer's definition); max drawdown
``min_t(E_t / max_{s≤t} E_s − 1)`` with the starting equity as the first peak. Percentiles use numpy's
linear interpolation; probability of loss = share of paths with total return < 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._stats import DAYS_PER_YEAR

METHODS = ("shuffle", "bootstrap", "block")
PERCENTILES = (5, 25, 50, 75, 95)
STATISTICS = ("total_return", "cagr", "sharpe", "max_drawdown")
HISTOGRAM_BINS = 40


def resample_returns(
    returns: np.ndarray, *, paths: int, method: str, rng: np.random.Generator, block_size: int = 20
) -> np.ndarray:
    """A ``paths × n`` matrix of resampled daily returns (see the module docstring for the methods)."""
    r = np.asarray(returns, dtype=float)
    n = r.shape[0]
    if method == "shuffle":
        return rng.permuted(np.broadcast_to(r, (paths, n)), axis=1)
    if method == "bootstrap":
        return r[rng.integers(0, n, size=(paths, n))]
    if method == "block":
        size = max(1, min(int(block_size), n))
        blocks = math.ceil(n / size)
        starts = rng.integers(0, n, size=(paths, blocks))
        index = (starts[:, :, None] + np.arange(size)) % n
        return r[index.reshape(paths, blocks * size)[:, :n]]
    raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")


def path_statistics(
    matrix: np.ndarray, *, calendar_days: int, risk_free_daily: float = 0.0, periods_per_year: int = 252
) -> dict[str, np.ndarray]:
    """Total return, CAGR, Sharpe and max drawdown of every row of a returns matrix (vectorised)."""
    growth = np.cumprod(1.0 + matrix, axis=1)
    total = growth[:, -1] - 1.0
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        cagr = (
            (1.0 + total) ** (DAYS_PER_YEAR / calendar_days) - 1.0 if calendar_days > 0 else np.full_like(total, np.nan)
        )
        excess = matrix - risk_free_daily
        std = matrix.std(axis=1, ddof=1)
        sharpe = np.where(std > 0, excess.mean(axis=1) / std * math.sqrt(periods_per_year), np.nan)
    peaks = np.maximum.accumulate(np.maximum(growth, 1.0), axis=1)
    max_drawdown = np.minimum((growth / peaks - 1.0).min(axis=1), 0.0)
    return {"total_return": total, "cagr": cagr, "sharpe": sharpe, "max_drawdown": max_drawdown}


def _summary(values: np.ndarray) -> dict[str, float | None]:
    known = values[np.isfinite(values)]
    if not known.size:
        return {f"p{p}": None for p in PERCENTILES} | {"mean": None}
    out = {f"p{p}": float(v) for p, v in zip(PERCENTILES, np.percentile(known, PERCENTILES), strict=True)}
    out["mean"] = float(known.mean())
    return out


def _histogram(values: np.ndarray) -> dict[str, list[float] | list[int]]:
    known = values[np.isfinite(values)]
    if not known.size:
        return {"edges": [], "counts": []}
    low, high = float(known.min()), float(known.max())
    if high - low <= 1e-12 * max(1.0, abs(low), abs(high)):  # one value (e.g. total return under shuffling)
        return {"edges": [low, high], "counts": [int(known.size)]}
    counts, edges = np.histogram(known, bins=HISTOGRAM_BINS)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def monte_carlo(
    returns: np.ndarray,
    *,
    calendar_days: int,
    paths: int = 1000,
    method: str = "bootstrap",
    seed: int | None = None,
    block_size: int = 20,
    risk_free_daily: float = 0.0,
) -> dict[str, Any]:
    """Resample ``returns`` into ``paths`` paths and summarise them (JSON-ready).

    Returns ``paths``, ``seed``, ``method``, ``percentiles`` (per statistic: p5, p25, p50, p75, p95 and the
    mean), ``observed`` (the statistics of the original order), ``probability_of_loss``, ``median_sharpe``,
    ``drawdown_p5`` (the 5th-percentile — a bad case — max drawdown) and ``histograms`` (40 bins each).
    The same seed gives the same numbers.
    """
    r = np.asarray(returns, dtype=float)
    if r.ndim != 1 or r.shape[0] < 2:
        raise ValueError("Monte Carlo needs at least two daily returns")
    if not np.isfinite(r).all():
        raise ValueError("daily returns must be finite")
    if not isinstance(paths, int) or isinstance(paths, bool) or not 1 <= paths <= 100_000:
        raise ValueError(f"paths must be an integer between 1 and 100000, got {paths!r}")
    rng = np.random.default_rng(seed)
    matrix = resample_returns(r, paths=paths, method=method, rng=rng, block_size=block_size)
    stats = path_statistics(matrix, calendar_days=calendar_days, risk_free_daily=risk_free_daily)
    observed = path_statistics(r[None, :], calendar_days=calendar_days, risk_free_daily=risk_free_daily)
    return {
        "paths": paths,
        "seed": seed,
        "method": method,
        "block_size": block_size if method == "block" else None,
        "days": int(r.shape[0]),
        "percentiles": {name: _summary(stats[name]) for name in STATISTICS},
        "observed": {name: _finite(observed[name][0]) for name in STATISTICS},
        "probability_of_loss": float((stats["total_return"] < 0).mean()),
        "median_sharpe": _finite(np.nanmedian(stats["sharpe"])) if np.isfinite(stats["sharpe"]).any() else None,
        "drawdown_p5": _finite(np.percentile(stats["max_drawdown"], 5)),
        "histograms": {name: _histogram(stats[name]) for name in STATISTICS},
    }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
