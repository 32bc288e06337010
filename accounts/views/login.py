"""Sign-in pages: allauth's login, logout and second-factor stage with the platform's rules.

The password step goes through ``accounts.backends.LockoutBackend`` (lockout + audit); the second
step accepts a TOTP code, a backup code or a passkey (our services, challenge kept five minutes);
``accounts.adapters.AccountAdapter.login`` finishes with ``login_succeeded``. POSTs are limited to
``security.login_rate_limit`` per client IP, the same buckets as the API.
"""

from __future__ import annotations

from allauth.account import views as allauth_views
from allauth.mfa.base.views import AuthenticateView
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from accounts import ratelimit, selectors
from accounts.forms import PASSKEY_CHALLENGE_SESSION_KEY, PasskeyAssertionForm, SecondFactorCodeForm
from accounts.permissions import PUBLIC


@method_decorator(ratelimit.rate_limited_post(ratelimit.PASSWORD), name="dispatch")
class LoginView(allauth_views.LoginView):
    """``/accounts/login/``: username + password (allauth form, CSRF protected)."""

    permission = PUBLIC


class LogoutView(allauth_views.LogoutView):
    permission = PUBLIC


class AccountInactiveView(allauth_views.AccountInactiveView):
    permission = PUBLIC


@method_decorator(ratelimit.rate_limited_post(ratelimit.SECOND_FACTOR), name="dispatch")
class SecondFactorView(AuthenticateView):
    """``/accounts/2fa/authenticate/``: the login stage after a correct password (allauth stage guard)."""

    permission = PUBLIC  # reachable only with a pending login (allauth's stage decorator)
    form_class = SecondFactorCodeForm
    webauthn_form_class = PasskeyAssertionForm
    template_name = "mfa/authenticate.html"

    def get_context_data(self, **kwargs) -> dict:
        from accounts.services.passkeys import passkey_authentication_begin

        context = TemplateView.get_context_data(self, **kwargs)
        user = self.stage.login.user
        methods = selectors.mfa_methods(user)
        context.update({"form": self.auth_form, "methods": methods, "webauthn_form": self.webauthn_form})
        if selectors.PASSKEY in methods:
            options = passkey_authentication_begin(user=user, password_verified=True)
            self.request.session[PASSKEY_CHALLENGE_SESSION_KEY] = options["challenge_id"]
            context["passkey_options"] = options
        return context
