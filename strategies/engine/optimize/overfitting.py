"""How likely is the winner of a parameter search just luck? Deflated Sharpe, PBO and a plateau check.

**Deflated Sharpe ratio** (Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for
Selection Bias, Backtest Overfitting and Non-Normality", *J. Portfolio Management* 40(5), 2014). All
Sharpe ratios here are per period (daily, not annualised)::

    SR₀ = √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e)))          expected maximum of N trials' SR
    DSR = Φ( (SR* − SR₀) √(T − 1) / √(1 − γ₃ SR* + (γ₄ − 1)/4 · SR*²) )

with V the variance of the trials' Sharpe ratios, N the number of trials, γ ≈ 0.5772 the
Euler–Mascheroni constant, SR* the selected (best) trial's Sharpe over T returns with skewness γ₃ and
(non-excess) kurtosis γ₄. DSR is the probability that the winner's true Sharpe exceeds what the best of
N skill-less trials would show; ≥ 0.95 is the paper's significance level.

**Probability of backtest overfitting** by combinatorially symmetric cross-validation (Bailey, Borwein,
López de Prado & Zhu, "The Probability of Backtest Overfitting", *J. Computational Finance* 20(4),
2017): the T × N matrix of the trials' daily returns is split by rows into S blocks (``np.array_split``:
sizes differ by at most one row). For each of the C(S, S/2) ways to pick half the blocks as in-sample
(the rest out-of-sample), the trial with the best IS Sharpe is found and its OOS Sharpe ranked among
all trials' OOS Sharpes (average rank for ties, 1 = worst … N = best); ω = rank / (N + 1),
λ = ln(ω / (1 − ω)). PBO = share of splits with λ ≤ 0 — how often the IS winner is no better than the
OOS median. A trial with zero variance in a block has Sharpe 0 there (it neither earns nor risks).

**Plateau**: a robust optimum sits on a plateau — its neighbours (one grid step away in one
parameter, or the nearest trials of a search) score nearly as well. ``drop`` = (winner − mean of the
neighbours) / |winner|; a drop above 25 % marks a peak.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

EULER_GAMMA = 0.5772156649015329
_N = NormalDist()
PLATEAU_MAX_DROP = 0.25
DSR_SIGNIFICANT = 0.95
PBO_ROBUST = 0.2
PBO_OVERFIT = 0.5


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """SR₀: the expected maximum per-period Sharpe of ``n_trials`` skill-less trials (0 for one trial)."""
    if n_trials < 2 or sharpe_variance <= 0:
        return 0.0
    z = (1 - EULER_GAMMA) * _N.inv_cdf(1 - 1 / n_trials) + EULER_GAMMA * _N.inv_cdf(1 - 1 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * z


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, n_obs: int, skewness: float = 0.0, kurtosis: float = 3.0
) -> float | None:
    """PSR: P(true SR > ``benchmark``) for an observed per-period ``sharpe`` over ``n_obs`` returns with the
    given skewness and (non-excess) kurtosis; ``None`` when the variance term is not positive."""
    if n_obs < 2:
        return None
    denominator = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if denominator <= 0:
        return None
    return _N.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denominator))


def deflated_sharpe_ratio(
    sharpe: float, n_obs: int, n_trials: int, sharpe_variance: float, skewness: float = 0.0, kurtosis: float = 3.0
) -> dict[str, Any]:
    """DSR of the selected trial (per-period ``sharpe``) among ``n_trials`` whose Sharpes have ``sharpe_variance``.

    Returns ``deflated_sharpe`` (a probability), ``expected_max_sharpe`` (SR₀) and the inputs.
    """
    benchmark = expected_max_sharpe(n_trials, sharpe_variance)
    return {
        "deflated_sharpe": probabilistic_sharpe_ratio(sharpe, benchmark, n_obs, skewness, kurtosis),
        "expected_max_sharpe": benchmark,
        "sharpe": sharpe,
        "n_obs": n_obs,
        "n_trials": n_trials,
        "sharpe_variance": sharpe_variance,
        "skewness": skewness,
        "kurtosis": kurtosis,
    }


def _moments(r: np.ndarray) -> tuple[float, float, float]:
    """(per-period Sharpe with sample std, skewness, non-excess kurtosis — population moments as in the paper)."""
    mean = r.mean()
    std = r.std(ddof=1)
    centred = r - mean
    m2 = (centred**2).mean()
    if std == 0 or m2 == 0:
        return 0.0, 0.0, 3.0
    return float(mean / std), float((centred**3).mean() / m2**1.5), float((centred**4).mean() / m2**2)


def deflated_sharpe_from_returns(returns: np.ndarray, best: int, risk_free_daily: float = 0.0) -> dict[str, Any]:
    """DSR of trial ``best`` from a T × N matrix of the trials' daily returns (V and N from all columns)."""
    matrix = np.asarray(returns, dtype=float) - risk_free_daily
    sharpes = np.array([_moments(matrix[:, j])[0] for j in range(matrix.shape[1])])
    sharpe, skew, kurt = _moments(matrix[:, best])
    variance = float(sharpes.var(ddof=1)) if sharpes.size > 1 else 0.0
    return deflated_sharpe_ratio(sharpe, matrix.shape[0], matrix.shape[1], variance, skew, kurt)


def _block_sharpes(sums: np.ndarray, squares: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sharpe (mean / sample std) per row of summed blocks; 0 where the variance is 0."""
    n = counts[:, None]
    mean = sums / n
    variance = (squares - n * mean**2) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = mean / np.sqrt(variance)
    return np.where(variance > 1e-300, out, 0.0)


def probability_of_backtest_overfitting(returns: np.ndarray, n_splits: int = 16) -> dict[str, Any]:
    """PBO by CSCV of a T × N matrix of daily returns (columns = trials). See the module docstring.

    Returns ``pbo``, ``n_splits``, ``n_combinations``, ``logits`` (λ per split, as a histogram),
    ``mean_logit`` and ``oos_loss_probability`` (share of splits where the IS winner lost OOS).
    """
    m = np.asarray(returns, dtype=float)
    t, n = m.shape
    if n < 2:
        raise ValueError("PBO needs at least two trials")
    if n_splits < 2 or n_splits % 2:
        raise ValueError(f"n_splits must be an even number ≥ 2, got {n_splits}")
    if t < 2 * n_splits:
        raise ValueError(f"PBO with {n_splits} splits needs at least {2 * n_splits} returns, got {t}")
    blocks = np.array_split(np.arange(t), n_splits)
    sums = np.array([m[b].sum(axis=0) for b in blocks])
    squares = np.array([(m[b] ** 2).sum(axis=0) for b in blocks])
    counts = np.array([len(b) for b in blocks], dtype=float)
    chosen = np.array(list(itertools.combinations(range(n_splits), n_splits // 2)))
    mask = np.zeros((len(chosen), n_splits))
    np.put_along_axis(mask, chosen, 1.0, axis=1)
    is_sr = _block_sharpes(mask @ sums, mask @ squares, mask @ counts)
    oos_mask = 1.0 - mask
    oos_sr = _block_sharpes(oos_mask @ sums, oos_mask @ squares, oos_mask @ counts)
    winner = is_sr.argmax(axis=1)
    star = oos_sr[np.arange(len(chosen)), winner]
    less = (oos_sr < star[:, None]).sum(axis=1)
    equal = (oos_sr == star[:, None]).sum(axis=1)
    rank = less + (equal + 1) / 2.0
    omega = rank / (n + 1)
    logits = np.log(omega / (1 - omega))
    counts_hist, edges = np.histogram(logits, bins=20)
    return {
        "pbo": float((logits <= 0).mean()),
        "n_splits": n_splits,
        "n_combinations": len(chosen),
        "mean_logit": float(logits.mean()),
        "oos_loss_probability": float((star < 0).mean()),
        "logits": {"edges": edges.tolist(), "counts": counts_hist.tolist()},
    }


def plateau_check(winner_score: float | None, neighbour_scores: Sequence[float | None]) -> dict[str, Any]:
    """How much the ranking metric drops around the winner (see the module docstring)."""
    known = [s for s in neighbour_scores if s is not None and math.isfinite(s)]
    if winner_score is None or not math.isfinite(winner_score) or not known:
        return {"neighbours": len(known), "drop": None, "worst_drop": None, "plateau": None}
    scale = abs(winner_score) or 1.0
    mean = float(np.mean(known))
    drop = (winner_score - mean) / scale
    worst = (winner_score - min(known)) / scale
    return {
        "neighbours": len(known),
        "winner": winner_score,
        "neighbour_mean": mean,
        "neighbour_min": min(known),
        "drop": drop,
        "worst_drop": worst,
        "plateau": drop <= PLATEAU_MAX_DROP,
    }


def nearest_trials(points: Sequence[Mapping[str, float]], index: int, k: int = 5) -> list[int]:
    """Indices of the ``k`` points nearest to ``points[index]`` (each coordinate scaled to 0…1 by its range)."""
    names = sorted({name for p in points for name in p})
    coords = np.array([[float(p.get(name, 0.0)) for name in names] for p in points], dtype=float)
    span = coords.max(axis=0) - coords.min(axis=0)
    scaled = (coords - coords.min(axis=0)) / np.where(span > 0, span, 1.0)
    distance = np.sqrt(((scaled - scaled[index]) ** 2).sum(axis=1))
    distance[index] = np.inf
    order = np.argsort(distance, kind="stable")
    return [int(i) for i in order[: min(k, len(points) - 1)]]


def audit_verdict(deflated_sharpe: float | None, pbo: float | None, plateau: bool | None) -> dict[str, Any]:
    """One word and the reasons: ``robust``, ``inconclusive`` or ``likely_overfit``.

    likely_overfit: PBO > 0.5 or DSR < 0.5 (more likely luck than not); robust: DSR ≥ 0.95, PBO ≤ 0.2 and no
    peak (the plateau check did not fail); inconclusive otherwise.
    """
    reasons = []
    if pbo is not None:
        reasons.append(
            f"PBO {pbo:.0%}: share of CSCV splits where the in-sample winner was at or below the out-of-sample median"
        )
    if deflated_sharpe is not None:
        reasons.append(f"deflated Sharpe {deflated_sharpe:.2f} (≥ {DSR_SIGNIFICANT} is significant)")
    if plateau is False:
        reasons.append("the winner is a peak: its neighbours score much worse")
    elif plateau:
        reasons.append("the winner sits on a plateau: its neighbours score about as well")
    overfit = (pbo is not None and pbo > PBO_OVERFIT) or (deflated_sharpe is not None and deflated_sharpe < 0.5)
    robust = (
        deflated_sharpe is not None
        and deflated_sharpe >= DSR_SIGNIFICANT
        and pbo is not None
        and pbo <= PBO_ROBUST
        and plateau is not False
    )
    verdict = "likely_overfit" if overfit else "robust" if robust else "inconclusive"
    return {"verdict": verdict, "reasons": reasons}
