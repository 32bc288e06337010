"""Forms of the strategies pages: starting an optimisation run (admins)."""

from __future__ import annotations

from typing import Any

from django import forms

from strategies.engine.optimize import MONTE_CARLO_METHODS, RANKING_METRICS
from strategies.models import OptimizationKind

KIND_CHOICES = [
    (OptimizationKind.GRID, "Grid search"),
    (OptimizationKind.WALKFORWARD, "Walk-forward"),
    (OptimizationKind.MONTECARLO, "Monte Carlo of a backtest"),
]


def _lines(text: str, separator: str, field: str) -> list[tuple[str, str]]:
    pairs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(separator)
        if not sep or not name.strip():
            raise forms.ValidationError(f"{field} line {number}: write name{separator} value")
        pairs.append((name.strip(), value.strip()))
    return pairs


class OptimizationStartForm(forms.Form):
    """Grid and walk-forward: strategy, range, one ``name: v1, v2`` line per grid parameter, fixed
    ``name = value`` lines, metric, windows. Monte Carlo: a backtest id, paths, seed, method."""

    kind = forms.ChoiceField(choices=KIND_CHOICES)
    strategy_id = forms.ChoiceField(choices=(), required=False, label="Strategy")
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    grid = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "fast: 20, 40, 60\nslow: 100, 150"}),
        help_text="one parameter per line: name: value, value, …",
    )
    params = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "symbol = QQQ"}),
        label="Fixed parameters",
        help_text="one per line: name = value",
    )
    metric = forms.ChoiceField(choices=[(m, m) for m in RANKING_METRICS], initial="sharpe")
    is_bars = forms.IntegerField(min_value=2, max_value=5000, initial=252, label="In-sample bars")
    oos_bars = forms.IntegerField(min_value=1, max_value=5000, initial=63, label="Out-of-sample bars")
    backtest_id = forms.IntegerField(required=False, min_value=1, label="Backtest run id")
    paths = forms.IntegerField(min_value=1, max_value=100_000, initial=1000)
    seed = forms.IntegerField(required=False, min_value=0, max_value=2**32 - 1)
    method = forms.ChoiceField(choices=[(m, m) for m in MONTE_CARLO_METHODS], initial="bootstrap")

    def __init__(self, *args: Any, strategy_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["strategy_id"].choices = [(s, s) for s in strategy_ids]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == OptimizationKind.MONTECARLO:
            if not data.get("backtest_id"):
                self.add_error("backtest_id", "a Monte Carlo study resamples a completed backtest: give its id")
            return data
        for name in ("strategy_id", "start", "end"):
            if not data.get(name):
                self.add_error(name, "required for a grid or walk-forward")
        try:
            data["grid_values"] = {
                name: [v.strip() for v in values.split(",") if v.strip()]
                for name, values in _lines(data.get("grid") or "", ":", "grid")
            }
            data["fixed_values"] = dict(_lines(data.get("params") or "", "=", "fixed parameters"))
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        return data
