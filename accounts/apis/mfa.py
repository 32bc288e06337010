"""``/api/2fa/*``: TOTP set-up, verify (enable), disable, validate, backup codes — for the signed-in user."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.apis.common import CodeInput, FactorCodeInput, PasswordField
from accounts.selectors import mfa_status
from accounts.services.login import CONFIRM, second_factor_verify
from accounts.services.reauthentication import factor_change_authorize
from accounts.services.totp import backup_codes_regenerate, totp_disable, totp_enable, totp_setup_begin
from jutsu.api import validated

PERMISSION = "self:2fa"


class RegenerateInput(serializers.Serializer):
    code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    password = PasswordField(required=False, allow_blank=True)


class TwoFactorStatusApi(APIView):
    permission = PERMISSION

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(mfa_status(request.user))


class TwoFactorSetupApi(APIView):
    """Start TOTP set-up: the secret, its ``otpauth://`` URI and a QR code (SVG data URI)."""

    permission = PERMISSION

    @extend_schema(request=None, responses={200: dict, 409: dict})
    def post(self, request):
        setup = totp_setup_begin(user=request.user)
        return Response(
            {
                "secret": setup.secret,
                "otpauth_uri": setup.otpauth_uri,
                "qr_code": setup.qr_data_uri,
                "expires_at": setup.expires_at,
            }
        )


class TwoFactorVerifyApi(ratelimit.RateLimitedApiMixin, APIView):
    """Confirm set-up with a current code: TOTP is enabled and ten backup codes are returned once.
    Needs ``current_password`` unless a second factor was verified in the last 5 minutes (else 403)."""

    permission = PERMISSION
    rate_limit_groups = (ratelimit.SECOND_FACTOR, ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)

    @extend_schema(request=FactorCodeInput, responses={200: dict, 400: dict, 403: dict})
    def post(self, request):
        data = validated(FactorCodeInput, request.data)
        factor_change_authorize(user=request.user, password=data.get("current_password"), request=request)
        codes = totp_enable(user=request.user, code=data["code"], request=request)
        return Response({"enabled": True, "backup_codes": codes})


class TwoFactorDisableApi(ratelimit.RateLimitedApiMixin, APIView):
    """Turn TOTP off with a current code or a backup code."""

    permission = PERMISSION
    rate_limit_groups = (ratelimit.SECOND_FACTOR,)

    @extend_schema(request=CodeInput, responses={200: dict, 400: dict})
    def post(self, request):
        data = validated(CodeInput, request.data)
        totp_disable(user=request.user, code=data["code"], request=request)
        return Response({"enabled": mfa_status(request.user)["enabled"], "totp_enabled": False})


class TwoFactorValidateApi(ratelimit.RateLimitedApiMixin, APIView):
    """Check a code of the signed-in user (e.g. before a sensitive action)."""

    permission = PERMISSION
    rate_limit_groups = (ratelimit.SECOND_FACTOR,)

    @extend_schema(request=CodeInput, responses={200: dict, 400: dict})
    def post(self, request):
        data = validated(CodeInput, request.data)
        method = second_factor_verify(user=request.user, code=data["code"], request=request, purpose=CONFIRM)
        return Response({"valid": True, "method": method})


class BackupCodesRegenerateApi(ratelimit.RateLimitedApiMixin, APIView):
    """Ten new backup codes (the old ones stop working); confirm with a code (or the password
    when only passkeys are enrolled)."""

    permission = PERMISSION
    # the password may confirm it (passkey-only users): the current-password budgets count it too
    rate_limit_groups = (ratelimit.SECOND_FACTOR, ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)

    @extend_schema(request=RegenerateInput, responses={200: dict, 400: dict})
    def post(self, request):
        data = validated(RegenerateInput, request.data)
        codes = backup_codes_regenerate(
            user=request.user, code=data.get("code", ""), password=data.get("password", ""), request=request
        )
        return Response({"backup_codes": codes})
