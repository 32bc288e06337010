"""Query-string forms of the performance pages (GET only: mode, date range, compared strategies)."""

from __future__ import annotations

from django import forms

from performance.selectors import MAX_COMPARED_STRATEGIES
from trading.modes import Mode

DEFAULT_MODE = Mode.PAPER
RANGE_CHOICES = [
    ("1M", "1M"),
    ("3M", "3M"),
    ("YTD", "YTD"),
    ("1Y", "1Y"),
    ("3Y", "3Y"),
    ("ALL", "All"),
    ("custom", "Custom"),
]
DEFAULT_RANGE = "1Y"


class ModeForm(forms.Form):
    """``?mode=`` on the overview."""

    mode = forms.ChoiceField(choices=Mode.choices, required=False)

    def mode_or_default(self) -> str:
        return (self.cleaned_data.get("mode") if self.is_valid() else None) or DEFAULT_MODE


class PerformanceFilterForm(forms.Form):
    """``?mode=&range=&start=&end=&strategy=…`` on the performance page.

    ``strategy`` may repeat (up to three). A preset ``range`` wins over dates; dates without a ``range`` (or
    with ``range=custom``) make a custom range; ``range=custom`` without dates falls back to the default.
    """

    mode = forms.ChoiceField(choices=Mode.choices, required=False)
    range = forms.ChoiceField(choices=RANGE_CHOICES, required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    strategy = forms.MultipleChoiceField(
        choices=[], required=False, widget=forms.SelectMultiple(attrs={"size": 4}), label="Strategies"
    )

    def __init__(self, *args, strategy_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = strategy_choices

    def clean_strategy(self) -> list[str]:
        chosen = self.cleaned_data.get("strategy") or []
        if len(chosen) > MAX_COMPARED_STRATEGIES:
            raise forms.ValidationError(
                f"Pick at most {MAX_COMPARED_STRATEGIES} strategies to overlay (you picked {len(chosen)})."
            )
        return chosen

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date must not be before the start date.")
        if not data.get("range") and (start or end):
            data["range"] = "custom"
        if data.get("range") == "custom" and not (start or end):
            data["range"] = DEFAULT_RANGE  # custom without dates: nothing to apply
        return data
