"""Research pages: backtest runs and optimisation runs (read: ``dashboard:read``; starting: ``backtests:run``)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.permissions import permission_required, user_has_permission
from jutsu.errors import JutsuError
from strategies import pages, pages_optimization, selectors
from strategies.forms import OptimizationStartForm
from strategies.ranges import strategy_run_ranges
from strategies.services.optimization_analysis import optimization_montecarlo_execute
from strategies.services.optimization_runs import OptimizationRequest, optimization_run_start

BACKTESTS_PER_PAGE = 50
#: Empty states show commands to those who may run them (admins); viewers read what an admin can do.
COMMANDS_PERMISSION = "backtests:run"


@permission_required("dashboard:read")
def backtest_list(request):
    page = Paginator(selectors.backtest_runs_list(), BACKTESTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "runs": page.object_list,
        "can_start": user_has_permission(request.user, COMMANDS_PERMISSION),
    }
    if not page.object_list:
        # the empty state's example: the first active strategy over the dates its stored bars allow
        example = selectors.strategies_list(active_only=True).order_by("-is_primary", "execution_order").first()
        context["example"] = strategy_run_ranges([example])[example.strategy_id] if example else None
    return render(request, "strategies/backtest_list.html", context)


@permission_required("dashboard:read")
def backtest_detail(request, run_id: int):
    run = selectors.backtest_run_get(run_id)
    if run is None:
        raise Http404(f"backtest run {run_id} not found")
    context = {
        **pages.backtest_detail_context(run),
        "can_start": user_has_permission(request.user, COMMANDS_PERMISSION),
    }
    return render(request, "strategies/backtest_detail.html", context)


# --------------------------------------------------------------------------------------- optimisation

OPTIMIZATIONS_PER_PAGE = 50


@permission_required("dashboard:read")
def optimization_list(request):
    runs = selectors.optimization_runs_list()
    page = Paginator(runs, OPTIMIZATIONS_PER_PAGE).get_page(request.GET.get("page"))
    can_start = user_has_permission(request.user, COMMANDS_PERMISSION)
    return render(
        request, "strategies/optimization_list.html", {"page": page, "runs": page.object_list, "can_start": can_start}
    )


@permission_required("dashboard:read")
def optimization_detail(request, run_id: int):
    run = selectors.optimization_run_get(run_id)
    if run is None:
        raise Http404(f"optimisation run {run_id} not found")
    context = {
        **pages_optimization.optimization_detail_context(run),
        "can_start": user_has_permission(request.user, COMMANDS_PERMISSION),
    }
    return render(request, "strategies/optimization_detail.html", context)


@permission_required("backtests:run")
def optimization_start(request):
    strategy_ids = list(selectors.strategies_list().values_list("strategy_id", flat=True))
    form = OptimizationStartForm(request.POST or None, strategy_ids=strategy_ids, initial=_start_initial(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = _start(form.cleaned_data, request.user)
            except JutsuError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("strategies:optimization_detail", run_id=run.pk)
        status = 400
    context = {"form": form, "has_strategies": bool(strategy_ids)}
    return render(request, "strategies/optimization_start.html", context, status=status)


def _start_initial(request) -> dict:
    backtest = request.GET.get("backtest")
    return {"kind": "montecarlo", "backtest_id": backtest} if backtest and backtest.isdigit() else {}


def _start(data: dict, user):
    if data["kind"] == "montecarlo":
        return optimization_montecarlo_execute(
            backtest_id=data["backtest_id"],
            paths=data["paths"],
            seed=data.get("seed"),
            method=data["method"],
            user=user,
        )
    request = OptimizationRequest(
        kind=data["kind"],
        strategy_id=data["strategy_id"],
        start=data["start"],
        end=data["end"],
        space=data["space"],
        fixed_params=data["fixed_values"],
        metric=data["metric"],
        is_bars=data["is_bars"],
        oos_bars=data["oos_bars"],
        n_trials=data["trials"],
        seed=data.get("seed"),
        batch_size=data["batch_size"],
    )
    return optimization_run_start(request, execution="celery", user=user)
