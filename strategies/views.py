"""Research pages: backtest runs (list, start, detail, trades, exports, compare) and optimisation runs.

Reading needs ``dashboard:read``; starting a run ``backtests:run`` (admins).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.permissions import permission_required, user_has_permission
from jutsu.api import dict_rows_csv
from jutsu.errors import JutsuError
from jutsu.http import error_response
from strategies import pages, pages_optimization, selectors
from strategies.engine.strategy import get_strategy_class
from strategies.forms import BacktestStartForm, OptimizationStartForm
from strategies.ranges import strategy_run_ranges
from strategies.services.backtests import BacktestRequest, backtest_export, backtest_run_start, curve_csv_rows
from strategies.services.optimization_analysis import optimization_montecarlo_execute
from strategies.services.optimization_runs import OptimizationRequest, optimization_run_start
from strategies.services.registry import strategy_effective_params

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


def _run_or_404(run_id: int):
    run = selectors.backtest_run_get(run_id)
    if run is None:
        raise Http404(f"backtest run {run_id} not found")
    return run


@permission_required("dashboard:read")
def backtest_detail(request, run_id: int):
    context = {
        **pages.backtest_detail_context(_run_or_404(run_id), trades_page=request.GET.get("trades")),
        "can_start": user_has_permission(request.user, COMMANDS_PERMISSION),
    }
    return render(request, "strategies/backtest_detail.html", context)


@permission_required("dashboard:read")
def backtest_trades(request, run_id: int):
    """The round-trip table alone (the detail page swaps it in when paging)."""
    run = _run_or_404(run_id)
    page = pages.backtest_trades_page(run, request.GET.get("trades"))
    context = {"run": run, "trades_page": page, "trades": page.object_list}
    return render(request, "strategies/partials/backtest_trades.html", context)


@permission_required("dashboard:read")
def backtest_status(request, run_id: int):
    """``{"id", "status", "error"}`` — what the detail page of an unfinished run polls (with live events)."""
    run = selectors.backtest_run_status(run_id)
    if run is None:
        raise Http404(f"backtest run {run_id} not found")
    return JsonResponse(run)


@permission_required("dashboard:read")
def backtest_series(request, run_id: int):
    """Every point of the charts' series (the page shows them downsampled)."""
    return JsonResponse(pages.backtest_chart_data(_run_or_404(run_id), full=True))


@permission_required("dashboard:read")
def backtest_download(request, run_id: int, fmt: str):
    """The run as a JSON document (``backtest_export``) or a CSV of ``?part=equity`` (default) or ``trades``."""
    run = _run_or_404(run_id)
    name = f"backtest-{run.pk}-{run.strategy_id_text}"
    if fmt == "json":
        response = JsonResponse(backtest_export(run), encoder=DjangoJSONEncoder, json_dumps_params={"indent": 1})
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    part = request.GET.get("part", "equity")
    if part == "trades":
        return dict_rows_csv(pages.round_trip_csv_rows(run), f"{name}-trades.csv", pages.ROUND_TRIP_COLUMNS)
    if part == "equity":
        columns, rows = curve_csv_rows(backtest_export(run)["equity_curve"])
        return dict_rows_csv(rows, f"{name}-equity.csv", columns)
    return error_response(request, 400, f"part: {part!r} is not one of equity, trades")


@permission_required(COMMANDS_PERMISSION)
def backtest_start(request):
    """The start form (admins): strategy, dates, parameters from the strategy's specs → a queued run."""
    strategies = list(selectors.strategies_list(active_only=True))
    if not strategies:
        return render(request, "strategies/backtest_start.html", {"form": None}, status=200)
    chosen_id = request.POST.get("strategy_id") or request.GET.get("strategy") or strategies[0].strategy_id
    chosen = next((row for row in strategies if row.strategy_id == chosen_id), strategies[0])
    form = BacktestStartForm(
        request.POST or None,
        initial=_backtest_initial(chosen),
        strategy_choices=[(row.strategy_id, f"{row.display_name} ({row.strategy_id})") for row in strategies],
        specs=list(get_strategy_class(chosen.strategy_class).param_specs),
        effective=strategy_effective_params(chosen),
        strategy_class=chosen.strategy_class,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = backtest_run_start(
                    BacktestRequest(
                        strategy_id=chosen.strategy_id,
                        start=data["start"],
                        end=data["end"],
                        param_overrides=data["param_overrides"],
                        initial_capital=data.get("initial_capital"),
                    ),
                    user=request.user,
                )
            except JutsuError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("strategies:backtest_detail", run_id=run.pk)
        status = 400
    return render(request, "strategies/backtest_start.html", {"form": form, "strategy": chosen}, status=status)


def _backtest_initial(strategy) -> dict:
    """Defaults: the strategy chosen, the last ten years of prices up to today."""
    today = timezone.localdate()
    return {"strategy_id": strategy.strategy_id, "start": today.replace(year=today.year - 10), "end": today}


@permission_required("dashboard:read")
def backtest_compare(request):
    """Two or three runs side by side (``?runs=1&runs=2``), chosen on the list page."""
    ids = request.GET.getlist("runs")
    error = None
    if not all(i.isdigit() for i in ids):
        error = "Run ids are numbers (e.g. ?runs=1&runs=2)."
    elif not pages.COMPARE_MIN <= len(set(ids)) <= pages.COMPARE_MAX:
        error = f"Choose {pages.COMPARE_MIN} or {pages.COMPARE_MAX} runs to compare (you chose {len(set(ids))})."
    runs = [] if error else selectors.backtest_runs_get([int(i) for i in dict.fromkeys(ids)])
    if not error and len(runs) != len(set(ids)):
        missing = sorted(set(map(int, ids)) - {run.pk for run in runs})
        error = f"No backtest run {', '.join(f'#{i}' for i in missing)}."
    if error:
        return render(request, "strategies/backtest_compare.html", {"error": error}, status=400)
    return render(request, "strategies/backtest_compare.html", pages.backtest_compare_context(runs))


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
