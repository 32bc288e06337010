"""Forms of the strategies pages: starting a backtest or an optimisation run (admins)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from strategies.engine.errors import StrategyParameterError
from strategies.engine.optimize import MONTE_CARLO_METHODS, RANKING_METRICS
from strategies.engine.params import Param
from strategies.engine.strategy import get_strategy_class
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


# ------------------------------------------------------------------------------------ backtest start

PARAM_PREFIX = "param_"


def param_label(name: str) -> str:
    """``osc_smoothness`` → ``Osc smoothness``; ``T_max`` keeps its capital (a symbol, not a word)."""
    words = name.split("_")
    first = words[0] if words[0][:1].isupper() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def _param_help(spec: Param) -> str:
    kind = {int: "whole number", float: "number", bool: "true / false", str: "text"}[spec.type]
    bounds = []
    if spec.min is not None:
        bounds.append(f"≥ {spec.min:g}")
    if spec.max is not None:
        bounds.append(f"≤ {spec.max:g}")
    text = f"{kind} {' and '.join(bounds)}".strip()
    return f"{text}. {spec.description}".strip() if spec.description else text


def _param_field(spec: Param, initial: Any) -> forms.Field:
    label, help_text = param_label(spec.name), _param_help(spec)
    if spec.type is bool:
        choices = [("true", "true"), ("false", "false")]
        return forms.ChoiceField(
            choices=choices, label=label, help_text=help_text, initial=str(initial).lower(), required=False
        )
    if spec.choices is not None:
        choices = [(str(c), str(c)) for c in spec.choices]
        return forms.ChoiceField(
            choices=choices, label=label, help_text=help_text, initial=str(initial), required=False
        )
    return forms.CharField(label=label, help_text=help_text, initial=str(initial), max_length=100, required=False)


class BacktestStartForm(forms.Form):
    """A backtest of one strategy: date range, optional capital, and one field per parameter of the
    strategy's own specs (initial: its effective values). Each parameter is checked against its spec and
    errors name it by its label; only the parameters that differ from the effective values are sent."""

    strategy_id = forms.ChoiceField(choices=(), label="Strategy")
    start = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="End date", widget=forms.DateInput(attrs={"type": "date"}))
    initial_capital = forms.DecimalField(
        label="Initial capital",
        required=False,
        min_value=Decimal("1"),
        max_digits=18,
        decimal_places=2,
        help_text="in dollars; empty: the strategy's own",
    )

    def __init__(
        self,
        *args: Any,
        strategy_choices: list[tuple[str, str]],
        specs: list[Param],
        effective: dict[str, Any],
        strategy_class: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["strategy_id"].choices = strategy_choices
        self.specs, self.effective, self.strategy_class = specs, effective, strategy_class
        for spec in specs:
            self.fields[PARAM_PREFIX + spec.name] = _param_field(spec, effective.get(spec.name, spec.default))

    def param_fields(self) -> list[forms.BoundField]:
        return [self[PARAM_PREFIX + spec.name] for spec in self.specs]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", f"End date must be on or after the start date ({start:%Y-%m-%d}).")
        if start and start > timezone.localdate():
            self.add_error("start", "Start date is in the future: no prices exist yet.")
        overrides = {}
        for spec in self.specs:
            field = PARAM_PREFIX + spec.name
            if data.get(field) in (None, ""):
                continue  # left empty: the strategy's current value
            try:
                value = spec.clean(data[field])
            except StrategyParameterError as exc:
                self.add_error(field, f"{param_label(spec.name)}: {_reason(exc)}")
                continue
            if value != self.effective.get(spec.name, spec.default):
                overrides[spec.name] = value
        data["param_overrides"] = overrides
        if not self.errors:
            self._check_together({**self.effective, **overrides})
        return data

    def _check_together(self, params: dict[str, Any]) -> None:
        """Rules between parameters (e.g. fast < slow) are the strategy's own: ask it."""
        try:
            get_strategy_class(self.strategy_class)(params)
        except StrategyParameterError as exc:
            field = PARAM_PREFIX + exc.key if exc.key and PARAM_PREFIX + exc.key in self.fields else None
            label = param_label(exc.key) if field else "Parameters"
            self.add_error(field, f"{label}: {_reason(exc)}")


def _reason(exc: StrategyParameterError) -> str:
    """The message without its ``parameter 'x':`` prefix (the label says which)."""
    text = str(exc)
    return text.split(": ", 1)[1] if exc.key and text.startswith("parameter '") else text
