"""Downsampling of chart series for display (pure functions, no I/O).

A twelve-year daily backtest has ~3,000 points per series; a chart 1,000 pixels wide shows no more.
``extremes_indices`` keeps, in each of ``buckets`` equal slices of the x axis, the index of each
series' minimum and maximum, plus the first and the last point — so peaks, troughs (the maximum
drawdown) and the end value are exact, only the points between them thin out. ``change_indices``
keeps the points of a step series where its value changes (lossless for a step chart).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DISPLAY_POINTS = 600


def extremes_indices(series: Sequence[Sequence[float | None]], *, max_points: int = DISPLAY_POINTS) -> list[int]:
    """Sorted indices to keep of equally long ``series`` (``None`` values are skipped), at most about
    ``max_points`` of them; all indices when the series are already short enough."""
    length = max((len(values) for values in series), default=0)
    if length <= max_points:
        return list(range(length))
    buckets = max(1, max_points // (2 * max(1, len(series))))
    keep = {0, length - 1}
    for bucket in range(buckets):
        lo, hi = bucket * length // buckets, (bucket + 1) * length // buckets
        for values in series:
            present = [i for i in range(lo, min(hi, len(values))) if values[i] is not None]
            if present:
                keep.add(min(present, key=values.__getitem__))
                keep.add(max(present, key=values.__getitem__))
    return sorted(keep)


def change_indices(values: Sequence[Any]) -> list[int]:
    """Indices where ``values`` differs from the previous element, plus the first and the last."""
    if not values:
        return []
    keep = [0, *(i for i in range(1, len(values)) if values[i] != values[i - 1])]
    if keep[-1] != len(values) - 1:
        keep.append(len(values) - 1)
    return keep


def pick(values: Sequence[Any], indices: Sequence[int]) -> list[Any]:
    """``values`` at ``indices`` (an empty list stays empty: an absent series)."""
    return [values[i] for i in indices] if values else []
