"""Cumulative return, CAGR and Calmar of stored rows are measured from the entity's initial capital.

Until now a row's KPI state (version 1) measured them from the entity's first-day equity, which for a strategy
is already after that day's fills and costs. This migration rewrites every version-1 state as version 2 with
``capital`` = the row's ``initial_capital`` and recomputes the three values from the state (its last equity,
first date and max drawdown), exactly as ``strategies.engine.kpi`` now does. The daily returns and everything
derived from them are unchanged. The formulas are written out here so the migration keeps its meaning.
"""

import math
from datetime import date

from django.db import migrations, models

BATCH = 500
DAYS_PER_YEAR = 365.25


def _finite(value):
    return value if value is not None and math.isfinite(value) else None


def _rebase(row, base: float, version: int) -> None:
    """Set ``row``'s state version and base, and its cumulative return, CAGR and Calmar from that base."""
    state = dict(row.kpi_state)
    last = float(state["last_equity"])
    days = (date.fromisoformat(state["last_date"]) - date.fromisoformat(state["first_date"])).days
    cagr = None
    if days > 0:
        try:
            cagr = (last / base) ** (DAYS_PER_YEAR / days) - 1.0
        except OverflowError:
            cagr = None
    worst = float(state["max_drawdown"])
    if version == 1:
        state.pop("capital", None)
    else:
        state["capital"] = base
    state["version"] = version
    row.kpi_state = state
    row.cumulative_return = last / base - 1.0
    row.cagr = _finite(cagr)
    row.calmar_ratio = _finite(cagr / abs(worst)) if cagr is not None and worst < 0 else None


def _rewrite(apps, *, from_version: int, to_version: int) -> None:
    DailyPerformance = apps.get_model("performance", "DailyPerformance")
    changed = []
    fields = ["kpi_state", "cumulative_return", "cagr", "calmar_ratio"]
    for row in DailyPerformance.objects.order_by("pk").iterator(chunk_size=2000):
        state = row.kpi_state or {}
        if state.get("version") != from_version:
            continue
        capital = row.initial_capital
        base = float(capital) if to_version == 2 and capital and capital > 0 else float(state["first_equity"])
        _rebase(row, base, to_version)
        changed.append(row)
        if len(changed) >= BATCH:
            DailyPerformance.objects.bulk_update(changed, fields)
            changed = []
    if changed:
        DailyPerformance.objects.bulk_update(changed, fields)


def forwards(apps, schema_editor):
    _rewrite(apps, from_version=1, to_version=2)


def backwards(apps, schema_editor):
    _rewrite(apps, from_version=2, to_version=1)


class Migration(migrations.Migration):
    dependencies = [
        ("performance", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dailyperformance",
            name="cumulative_return",
            field=models.FloatField(help_text="equity_t / initial_capital − 1"),
        ),
        migrations.AlterField(
            model_name="dailyperformance",
            name="initial_capital",
            field=models.DecimalField(
                decimal_places=6, help_text="Capital of the first day: base of returns and CAGR", max_digits=18
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
