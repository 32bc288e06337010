"""Template filters for the dashboard pages and the active-overrides banner shown on every page."""

from __future__ import annotations

from django import template

from accounts.permissions import user_has_permission
from jutsu.selectors import config_overrides_in_force
from strategies import display

register = template.Library()

register.filter("pct", lambda value, digits=2: display.fmt_pct(value, int(digits)))
register.filter("signed_pct", lambda value, digits=2: display.fmt_pct(value, int(digits), signed=True))
register.filter("ratio", lambda value, digits=2: display.fmt_ratio(value, int(digits)))
register.filter("money", lambda value, digits=2: display.fmt_money(value, int(digits)))
register.filter("sign_class", display.sign_class)
register.filter("cell_label", display.cell_label)


@register.inclusion_tag("partials/overrides_banner.html", takes_context=True)
def overrides_banner(context) -> dict:
    """Active, unexpired config overrides (one query) for signed-in users who may read the dashboard."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user_has_permission(user, "dashboard:read"):
        return {"overrides": []}
    return {"overrides": list(config_overrides_in_force())}
