"""Forms of the strategies pages: starting an optimisation run (admins)."""

from __future__ import annotations

from typing import Any

from django import forms

from strategies.engine.optimize import MONTE_CARLO_METHODS, RANKING_METRICS
from strategies.models import OptimizationKind
from strategies.services.optimization_search import search_range_from_text

KIND_CHOICES = [
    (OptimizationKind.GRID, "Grid search"),
    (OptimizationKind.WALKFORWARD, "Walk-forward"),
    (OptimizationKind.SEARCH, "Bayesian search (Optuna)"),
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
    ``name = value`` lines, metric, windows. Search: the same with one ``name: low:high[:step]`` (or
    ``name: a, b, c``) line per searched parameter, trials, batch size, seed. Monte Carlo: a backtest id,
    paths, seed, method."""

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
    ranges = forms.CharField(
        required=False,
        label="Search ranges",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "fast: 5:60\nslow: 80:200:10\nsymbol: QQQ, SPY"}),
        help_text="Bayesian search: one parameter per line: name: low:high, name: low:high:step or name: a, b, c",
    )
    trials = forms.IntegerField(required=False, min_value=1, max_value=10_000, initial=50, label="Search trials")
    batch_size = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=256,
        initial=4,
        label="Trials per batch",
        help_text="asked of Optuna at once",
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
        kind = data.get("kind")
        data["trials"] = data.get("trials") or self.fields["trials"].initial
        data["batch_size"] = data.get("batch_size") or self.fields["batch_size"].initial
        for name in ("strategy_id", "start", "end"):
            if not data.get(name):
                self.add_error(name, f"required for a {dict(KIND_CHOICES).get(kind, 'run').lower()}")
        try:
            data["fixed_values"] = dict(_lines(data.get("params") or "", "=", "fixed parameters"))
            if kind == OptimizationKind.SEARCH:
                data["space"] = _ranges(data.get("ranges") or "")
            else:
                data["space"] = {
                    name: [v.strip() for v in values.split(",") if v.strip()]
                    for name, values in _lines(data.get("grid") or "", ":", "grid")
                }
        except forms.ValidationError as exc:
            self.add_error("ranges" if kind == OptimizationKind.SEARCH else "grid", exc)
        return data


def _ranges(text: str) -> dict:
    ranges = {}
    for name, value in _lines(text, ":", "search ranges"):
        try:
            ranges[name] = search_range_from_text(value)
        except ValueError as exc:
            raise forms.ValidationError(f"search range {name}: {exc}") from exc
    if not ranges:
        raise forms.ValidationError("give at least one parameter to search, e.g. fast: 5:60")
    return ranges
