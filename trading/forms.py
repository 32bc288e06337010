"""Query-string forms of the trading pages (GET) and the control page's confirmations (POST)."""

from __future__ import annotations

from django import forms

from trading.modes import Mode

SYMBOL_PATTERN = r"^[A-Za-z][A-Za-z0-9.\-]{0,9}$"


class TradeFilterForm(forms.Form):
    """``?strategy=&mode=&symbol=&start=&end=`` on the trades page; an invalid field is shown and ignored."""

    strategy = forms.ChoiceField(choices=[], required=False)
    mode = forms.ChoiceField(choices=[("", "All modes"), *Mode.choices], required=False)
    symbol = forms.RegexField(regex=SYMBOL_PATTERN, required=False, max_length=10)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, strategy_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = [("", "All strategies"), *strategy_choices]

    def clean_symbol(self) -> str:
        return (self.cleaned_data.get("symbol") or "").strip().upper()

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("start", f"{start} is after the end date {end}.")
        return data

    def filters(self) -> dict:
        """The valid filters (``strategy_id``, ``mode``, ``symbol``, ``start``, ``end``); invalid ones are left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors and v}
        return {
            "strategy_id": data.get("strategy"),
            "mode": data.get("mode"),
            "symbol": data.get("symbol"),
            "start": data.get("start") if "start" not in self.errors else None,
            "end": data.get("end"),
        }


class ModeSwitchForm(forms.Form):
    """Switch the engine's mode; ``online_live`` needs the typed ``YES`` (the guard checks it)."""

    mode = forms.ChoiceField(choices=Mode.choices)
    confirm = forms.CharField(required=False, max_length=10)


class FlattenForm(forms.Form):
    """Sell everything a strategy holds in a mode; always needs the typed ``YES``."""

    strategy_id = forms.CharField(max_length=50)
    mode = forms.ChoiceField(choices=Mode.choices)
    confirm = forms.CharField(required=False, max_length=10)


class JobActionForm(forms.Form):
    """Enable, disable or trigger one scheduled job."""

    job = forms.CharField(max_length=100)
    action = forms.ChoiceField(choices=[("enable", "enable"), ("disable", "disable"), ("trigger", "trigger")])


class RegimeFilterForm(forms.Form):
    """``?strategy=&mode=&range=`` on the regime page; invalid values fall back to the defaults."""

    strategy = forms.ChoiceField(choices=[], required=False)
    mode = forms.ChoiceField(choices=Mode.choices, required=False)
    range = forms.ChoiceField(choices=[], required=False)

    def __init__(self, *args, strategy_choices: list[tuple[str, str]], range_keys: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["strategy"].choices = strategy_choices
        self.fields["range"].choices = [(k, k) for k in range_keys]

    def value(self, name: str) -> str:
        """The field's valid value, or ``""``."""
        if not self.is_bound or (not self.is_valid() and name in self.errors):
            return ""
        return self.cleaned_data.get(name) or ""
