"""Public ``/api/invitations/{token}``: check an invitation, accept it (creates the user, signs in)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.apis.common import PasswordField, user_payload
from accounts.permissions import PUBLIC
from accounts.services.invitations import invitation_accept, invitation_check
from accounts.services.login import login_succeeded
from accounts.services.tokens import token_pair_issue
from jutsu.api import validated


class AcceptInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = PasswordField()
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)


class InvitationDetailApi(APIView):
    permission = PUBLIC
    authentication_classes: list = []

    @extend_schema(responses={200: dict, 404: dict, 409: dict, 410: dict})
    def get(self, request, token: str):
        invitation = invitation_check(token=token)
        return Response(
            {
                "valid": True,
                "role": invitation.role,
                "email": invitation.email or None,
                "expires_at": invitation.expires_at,
            }
        )


class InvitationAcceptApi(ratelimit.RateLimitedApiMixin, APIView):
    """Create the invited user (with the invitation's role) and return their first token pair."""

    permission = PUBLIC
    authentication_classes: list = []
    rate_limit_groups = (ratelimit.INVITATION,)

    @extend_schema(request=AcceptInput, responses={201: dict, 400: dict, 404: dict, 409: dict, 410: dict})
    def post(self, request, token: str):
        data = validated(AcceptInput, request.data)
        user = invitation_accept(
            token=token, username=data["username"], password=data["password"], email=data.get("email"), request=request
        )
        login_succeeded(user=user, request=request, channel="api", method="invitation")
        body = {"user": user_payload(user), **token_pair_issue(user=user, request=request)}
        body["username"], body["role"] = user.username, user.role
        return Response(body, status=status.HTTP_201_CREATED)
