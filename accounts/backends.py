"""The one password backend: Django's model backend behind the lockout rules."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from accounts.errors import AuthenticationFailed


class LockoutBackend(ModelBackend):
    """``authenticate(username, password)`` through ``accounts.services.login.user_password_verify``.

    Used by allauth's page login (and so the admin, which allauth guards) and by ``Client.login``.
    A correct password does not reset the failure count here: the login is complete only after the
    second factor, when ``login_succeeded`` runs.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        from accounts.services.login import user_password_verify

        try:
            return user_password_verify(username=username, password=password, request=request, channel="session")
        except AuthenticationFailed as exc:
            if request is not None:
                request.jutsu_auth_error = exc  # the login form shows the lockout message
            return None

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
