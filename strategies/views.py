"""Backtest pages: the list of runs and one run's detail (read-only, ``dashboard:read``)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from accounts.permissions import permission_required
from strategies import pages, selectors

BACKTESTS_PER_PAGE = 50


@permission_required("dashboard:read")
def backtest_list(request):
    page = Paginator(selectors.backtest_runs_list(), BACKTESTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "strategies/backtest_list.html", {"page": page, "runs": page.object_list})


@permission_required("dashboard:read")
def backtest_detail(request, run_id: int):
    run = selectors.backtest_run_get(run_id)
    if run is None:
        raise Http404(f"backtest run {run_id} not found")
    return render(request, "strategies/backtest_detail.html", pages.backtest_detail_context(run))
