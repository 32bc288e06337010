"""``/api/auth/*``: sign-in (password → second factor), refresh, logout, status, me."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.apis.common import PasswordField, user_payload
from accounts.permissions import AUTHENTICATED, PUBLIC
from accounts.services.login import login_with_password, login_with_second_factor
from accounts.services.tokens import token_pair_refresh, token_revoke
from jutsu.api import validated


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = PasswordField()


class LoginSecondFactorInput(LoginInput):
    code = serializers.CharField(max_length=32)


class RefreshInput(serializers.Serializer):
    # No max_length: an over-long token is an invalid token (401, TOKEN_INVALID), not a form error.
    refresh_token = serializers.CharField(trim_whitespace=False)


class AuthStatusApi(APIView):
    """Whether the caller is signed in, and how this instance signs people in."""

    permission = PUBLIC

    @extend_schema(responses={200: dict})
    def get(self, request):
        user = request.user if request.user.is_authenticated else None
        return Response(
            {
                "authenticated": user is not None,
                "auth_required": settings.AUTH_REQUIRED,
                "user": user_payload(user) if user else None,
                "login_methods": ["password", "totp", "backup_code", "passkey"],
                "token_type": "bearer",
            }
        )


class AuthLoginApi(ratelimit.RateLimitedApiMixin, APIView):
    """Password step: tokens, or ``{"requires_2fa": true, "methods": [...]}`` when a second factor is enrolled."""

    permission = PUBLIC
    authentication_classes: list = []
    rate_limit_groups = (ratelimit.PASSWORD,)

    @extend_schema(request=LoginInput, responses={200: dict, 401: dict, 429: dict})
    def post(self, request):
        data = validated(LoginInput, request.data)
        outcome = login_with_password(username=data["username"], password=data["password"], request=request)
        if outcome.requires_2fa:
            body = {"requires_2fa": True, "methods": outcome.methods}
            if outcome.passkey is not None:
                body["passkey"] = outcome.passkey
            return Response(body)
        return Response(outcome.tokens)


class AuthLoginSecondFactorApi(ratelimit.RateLimitedApiMixin, APIView):
    """Second step: username, password and a TOTP or backup code → tokens."""

    permission = PUBLIC
    authentication_classes: list = []
    rate_limit_groups = (ratelimit.PASSWORD, ratelimit.SECOND_FACTOR)

    @extend_schema(request=LoginSecondFactorInput, responses={200: dict, 401: dict, 429: dict})
    def post(self, request):
        data = validated(LoginSecondFactorInput, request.data)
        tokens = login_with_second_factor(
            username=data["username"], password=data["password"], code=data["code"], request=request
        )
        return Response(tokens)


class AuthRefreshApi(APIView):
    """Rotate a refresh token: the old one is blacklisted, a new pair returned."""

    permission = PUBLIC
    authentication_classes: list = []

    @extend_schema(request=RefreshInput, responses={200: dict, 401: dict})
    def post(self, request):
        data = validated(RefreshInput, request.data)
        return Response(token_pair_refresh(refresh_token=data["refresh_token"], request=request))


class AuthLogoutApi(APIView):
    """Blacklist the refresh token (the access token expires within 15 minutes)."""

    permission = PUBLIC
    authentication_classes: list = []

    @extend_schema(request=RefreshInput, responses={200: dict, 401: dict})
    def post(self, request):
        data = validated(RefreshInput, request.data)
        token_revoke(refresh_token=data["refresh_token"], request=request)
        return Response({"detail": "Logged out"})


class AuthMeApi(APIView):
    """The signed-in user: role, permissions, second-factor state."""

    permission = AUTHENTICATED

    @extend_schema(responses={200: dict, 401: dict})
    def get(self, request):
        return Response(user_payload(request.user, with_two_factor=True))
