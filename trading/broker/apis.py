"""``/api/schwab/*``: the Schwab connection's status, the login (OAuth) and deleting the token."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jutsu.api import validated
from trading.broker.oauth import schwab_auth_complete, schwab_auth_initiate, schwab_token_delete
from trading.broker.status import schwab_auth_status, schwab_status


class SchwabStatusApi(APIView):
    """Configured?, token present, refresh-token age and time left, access-token expiry, account known."""

    permission = "status:read"

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(schwab_status(now=timezone.now()))


class SchwabAuthStatusApi(APIView):
    """The login: authenticated?, time left, a started login waiting for its callback."""

    permission = "status:read"

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(schwab_auth_status(now=timezone.now()))


class SchwabAuthInitiateApi(APIView):
    """Start a login: the Schwab authorisation URL to open in a browser (valid for 10 minutes)."""

    permission = "broker:manage"

    @extend_schema(request=None, responses={200: dict})
    def post(self, request):
        start = schwab_auth_initiate(user=request.user, request=request)
        return Response(
            {
                "authorization_url": start.authorization_url,
                "callback_url": start.callback_url,
                "expires_at": start.expires_at.isoformat(),
            }
        )


class CallbackInput(serializers.Serializer):
    received_url = serializers.CharField(max_length=4000, trim_whitespace=True)


class SchwabAuthCallbackApi(APIView):
    """Finish the login with the address Schwab redirected the browser to (``received_url``)."""

    permission = "broker:manage"

    @extend_schema(request=CallbackInput, responses={200: dict})
    def post(self, request):
        data = validated(CallbackInput, request.data)
        schwab_auth_complete(received_url=data["received_url"], user=request.user, request=request)
        return Response(schwab_status(now=timezone.now()))


class SchwabTokenApi(APIView):
    """Delete the stored token (live trading and Schwab market data stop until the next login)."""

    permission = "broker:manage"

    @extend_schema(request=None, responses={200: dict})
    def delete(self, request):
        deleted = schwab_token_delete(user=request.user, request=request)
        return Response({"deleted": deleted})
