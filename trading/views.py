"""Pages of the trading app: trades (``/trades/``), regime (``/regime/``) and control (``/control/``, admins).

Thin: access check → form → selector/service → render. The control page's actions call the same services as
``/api/control/*`` and the scheduler API; switching to ``online_live`` passes the same live-switch guard.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import ratelimit
from accounts.forms import CodeForm, form_error_from
from accounts.permissions import permission_required
from accounts.selectors import mfa_enrolled
from accounts.services.login import CONFIRM, second_factor_verify
from jutsu.errors import JutsuError
from strategies.selectors import strategies_list
from trading.forms import RegimeFilterForm, TradeFilterForm
from trading.modes import Mode
from trading.pages.control import control_action, control_context
from trading.pages.regime import DEFAULT_RANGE, RANGE_DAYS, regime_page_context
from trading.pages.trades import trades_page_context
from trading.runner.runner import strategy_mode
from trading.services.engine import engine_state_get


@permission_required("trades:read")
def trades(request):
    strategies = list(strategies_list().order_by("-is_active", "execution_order", "strategy_id"))
    form = TradeFilterForm(request.GET or None, strategy_choices=[(s.strategy_id, s.display_name) for s in strategies])
    context = trades_page_context(
        form.filters(), page_number=request.GET.get("page"), strategies=strategies, params=request.GET
    )
    return render(request, "trading/trades.html", {**context, "form": form, "now": timezone.now()})


@permission_required("engine:control")
@require_http_methods(["GET", "POST"])
def control(request):
    """GET: engine, kill switch, flatten, scheduler, job runs, overrides. POST: one action, then back here."""
    if request.method == "POST":
        try:
            outcome = control_action(request, request.POST.dict())
        except JutsuError as exc:
            messages.error(request, exc.message)
            return redirect("trading:control")
        if outcome.verify:
            messages.warning(request, outcome.message)
            back = f"{reverse('trading:control')}?{urlencode({'mode': outcome.mode})}"
            return redirect(f"{reverse('trading:control_verify')}?{urlencode({'next': back})}")
        (messages.success if outcome.ok else messages.error)(request, outcome.message)
        return redirect("trading:control")
    context = control_context(user=request.user, now=timezone.now())
    requested = request.GET.get("mode")
    context["selected_mode"] = requested if requested in Mode.values else context["engine"]["mode"]
    return render(request, "trading/control.html", context)


@permission_required("engine:control")
@ratelimit.rate_limited_post(ratelimit.SECOND_FACTOR)
@require_http_methods(["GET", "POST"])
def control_verify(request):
    """Verify the second factor again (TOTP or backup code) before a live switch, then go back to ``next``."""
    back = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("trading:control")
    form, status = CodeForm(request.POST or None), 200
    if request.method == "POST" and form.is_valid():
        try:
            second_factor_verify(
                user=request.user, code=form.cleaned_data["code"], request=request, channel="page", purpose=CONFIRM
            )
        except JutsuError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "Second factor verified: you have 5 minutes to confirm the switch.")
            return redirect(back)
    if request.method == "POST":
        status = 400
    context = {"form": form, "next": back, "has_second_factor": mfa_enrolled(request.user)}
    return render(request, "trading/control_verify.html", context, status=status)


@permission_required("regime:read")
def regime(request):
    strategies = list(strategies_list(active_only=True).order_by("-is_primary", "execution_order", "strategy_id"))
    form = RegimeFilterForm(
        request.GET or None,
        strategy_choices=[(s.strategy_id, s.display_name) for s in strategies],
        range_keys=list(RANGE_DAYS),
    )
    context = {"form": form, "strategies": strategies, "modes": Mode.choices}
    if strategies:
        chosen = next((s for s in strategies if s.strategy_id == form.value("strategy")), strategies[0])
        mode = form.value("mode") or strategy_mode(chosen, engine_state_get().mode)
        range_key = form.value("range") or DEFAULT_RANGE
        page = regime_page_context(chosen, mode=mode, range_key=range_key)
        context.update(page, strategy=chosen, mode=mode, range_key=range_key)
    return render(request, "trading/regime.html", context)
