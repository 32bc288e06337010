"""Backtest pages: the list of runs and one run's detail (read-only, ``dashboard:read``)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.permissions import permission_required
from strategies import pages

BACKTESTS_PER_PAGE = 50


@permission_required("dashboard:read")
def backtest_list(request):
    page = Paginator(pages.backtest_runs_for_list(), BACKTESTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "strategies/backtest_list.html", {"page": page, "runs": page.object_list})


@permission_required("dashboard:read")
def backtest_detail(request, run_id: int):
    run = pages.backtest_run_for_detail(run_id=run_id)
    return render(request, "strategies/backtest_detail.html", pages.backtest_detail_context(run))
