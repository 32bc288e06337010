"""Viewer pages: the overview (``/``) and the performance page (``/performance/``)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import permission_required
from performance import pages
from performance.forms import ModeForm, PerformanceFilterForm
from performance.selectors import daily_performance_overview
from trading.broker.status import schwab_overview
from trading.pages.status import cell_tooltips, dashboard_status, indicator_tooltips, strategies_live


@permission_required("dashboard:read")
def overview(request):
    mode = ModeForm(request.GET).mode_or_default()
    now = timezone.now()
    items = daily_performance_overview(mode)
    live = strategies_live([item.strategy for item in items], mode=mode)
    context = pages.overview_context(items, mode=mode, user=request.user, live=live)
    context["schwab"] = schwab_overview(now=now)
    context["status"] = dashboard_status(now=now)
    context["cell_tips"] = cell_tooltips()
    context["tips"] = indicator_tooltips()
    return render(request, "performance/overview.html", context)


@permission_required("performance:read")
def performance(request):
    strategies = pages.strategy_choices()
    form = PerformanceFilterForm(
        request.GET or None, strategy_choices=[(s.strategy_id, s.display_name) for s in strategies]
    )
    selection = pages.performance_selection(form, strategies)
    context = pages.performance_context(selection, strategies, user=request.user)
    return render(request, "performance/performance.html", {**context, "form": form, "strategies": strategies})
