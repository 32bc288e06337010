"""``/api/passkey/*``: register, list and revoke passkeys; passkey sign-in (public, rate limited)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.apis.common import PasswordField, ReauthenticationInput
from accounts.permissions import PUBLIC
from accounts.selectors import passkey_authenticators, passkey_list, passkey_summary
from accounts.services.login import login_with_passkey, user_password_verify
from accounts.services.passkeys import (
    passkey_authentication_begin,
    passkey_register,
    passkey_registration_begin,
    passkey_revoke,
)
from accounts.services.reauthentication import factor_change_authorize
from jutsu.api import validated
from jutsu.errors import InvalidParameter

PERMISSION = "self:passkey"


class RegisterInput(ReauthenticationInput):
    challenge_id = serializers.CharField(max_length=64)
    credential = serializers.JSONField()
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class AuthenticateOptionsInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    password = PasswordField(required=False, allow_blank=True)


class AuthenticateInput(serializers.Serializer):
    challenge_id = serializers.CharField(max_length=64)
    credential = serializers.JSONField()


def _credential(value) -> dict:
    if not isinstance(value, dict):
        raise InvalidParameter("credential: must be the JSON object returned by the browser")
    return value


class PasskeyStatusApi(APIView):
    permission = PERMISSION

    @extend_schema(responses={200: dict})
    def get(self, request):
        count = passkey_authenticators(request.user).count()
        return Response(
            {
                "enabled": count > 0,
                "count": count,
                "rp_id": settings.WEBAUTHN_RP_ID,
                "rp_name": settings.WEBAUTHN_RP_NAME,
            }
        )


class PasskeyListApi(APIView):
    permission = PERMISSION

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response({"passkeys": passkey_list(request.user)})


class PasskeyRegisterOptionsApi(ratelimit.RateLimitedApiMixin, APIView):
    """Creation options for ``navigator.credentials.create`` and the challenge id (valid 5 minutes)."""

    permission = PERMISSION
    rate_limit_groups = (ratelimit.PASSKEY_REGISTER,)

    @extend_schema(request=None, responses={200: dict})
    def post(self, request):
        return Response(passkey_registration_begin(user=request.user))


class PasskeyRegisterApi(ratelimit.RateLimitedApiMixin, APIView):
    """Store the passkey; ``backup_codes`` holds ten new codes (shown only now) when it is the user's
    first second factor, else ``[]``. Needs ``current_password`` unless a second factor was verified in
    the last 5 minutes (else 403)."""

    permission = PERMISSION
    rate_limit_groups = (ratelimit.PASSKEY_REGISTER, ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)

    @extend_schema(request=RegisterInput, responses={201: dict, 400: dict, 403: dict})
    def post(self, request):
        data = validated(RegisterInput, request.data)
        factor_change_authorize(user=request.user, password=data.get("current_password"), request=request)
        registered = passkey_register(
            user=request.user,
            challenge_id=data["challenge_id"],
            credential=_credential(data["credential"]),
            name=data.get("name", ""),
            request=request,
        )
        body = {**passkey_summary(registered.authenticator), "backup_codes": registered.backup_codes}
        return Response(body, status=status.HTTP_201_CREATED)


class PasskeyDetailApi(ratelimit.RateLimitedApiMixin, APIView):
    """DELETE: remove one of your passkeys; the JSON body carries ``current_password`` unless a second
    factor was verified in the last 5 minutes (else 403)."""

    permission = PERMISSION
    rate_limit_groups = (ratelimit.PASSKEY_REGISTER, ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)
    rate_limit_methods = ("DELETE",)

    @extend_schema(request=ReauthenticationInput, responses={204: None, 403: dict, 404: dict})
    def delete(self, request, passkey_id: int):
        data = validated(ReauthenticationInput, request.data)
        factor_change_authorize(user=request.user, password=data.get("current_password"), request=request)
        passkey_revoke(user=request.user, passkey_id=passkey_id, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasskeyAuthenticateOptionsApi(ratelimit.RateLimitedApiMixin, APIView):
    """Request options for ``navigator.credentials.get``. With username and password the passkey is
    the second factor; without them it is a passwordless sign-in (user verification required)."""

    permission = PUBLIC
    authentication_classes: list = []
    rate_limit_groups = (ratelimit.PASSWORD, ratelimit.PASSKEY)  # it may check a password

    @extend_schema(request=AuthenticateOptionsInput, responses={200: dict, 401: dict})
    def post(self, request):
        data = validated(AuthenticateOptionsInput, request.data)
        user = None
        if data.get("password"):
            user = user_password_verify(username=data.get("username", ""), password=data["password"], request=request)
            if not passkey_authenticators(user).exists():
                raise InvalidParameter("This account has no passkeys: sign in with /api/auth/login")
        return Response(passkey_authentication_begin(user=user, password_verified=user is not None))


class PasskeyAuthenticateApi(ratelimit.RateLimitedApiMixin, APIView):
    """Verify the assertion and sign in: a token pair, like ``/api/auth/login``."""

    permission = PUBLIC
    authentication_classes: list = []
    rate_limit_groups = (ratelimit.PASSKEY,)

    @extend_schema(request=AuthenticateInput, responses={200: dict, 401: dict})
    def post(self, request):
        data = validated(AuthenticateInput, request.data)
        tokens = login_with_passkey(
            challenge_id=data["challenge_id"], credential=_credential(data["credential"]), request=request
        )
        return Response(tokens)
