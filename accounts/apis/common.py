"""Small helpers shared by the accounts API modules."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.roles import ROLE_PERMISSIONS


def user_payload(user, *, with_two_factor: bool = False) -> dict[str, Any]:
    from accounts.selectors import mfa_status

    payload: dict[str, Any] = {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
        "last_login": user.last_login,
        "date_joined": user.date_joined,
        "locked_until": user.locked_until if user.is_locked() else None,
    }
    if with_two_factor:
        payload["permissions"] = sorted(ROLE_PERMISSIONS.get(user.role, ()))
        payload["two_factor"] = mfa_status(user)
    return payload


class CodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=32, trim_whitespace=True)


class ReauthenticationInput(serializers.Serializer):
    """Changing sign-in factors: the current password, unless a second factor was verified in the last
    5 minutes (``accounts.services.reauthentication``)."""

    current_password = serializers.CharField(
        max_length=4096, trim_whitespace=False, required=False, allow_blank=True, style={"input_type": "password"}
    )


class FactorCodeInput(CodeInput, ReauthenticationInput):
    """A code that turns a new factor on, with the proof that the account's owner is present."""


class PasswordField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 4096)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)
