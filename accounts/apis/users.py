"""``/api/users/*`` (admins: users and invitations) and ``PUT /api/users/me/password`` (everyone)."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.apis.common import PasswordField, user_payload
from accounts.models import Invitation
from accounts.roles import Role
from accounts.selectors import invitation_list, user_get, user_list
from accounts.services.invitations import invitation_create, invitation_revoke
from accounts.services.users import user_delete, user_password_change, user_update
from jutsu.api import validated

PERMISSION = "users:manage"


class InviteInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.values)
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)


class UserUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.values, required=False)
    is_active = serializers.BooleanField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)


class PasswordChangeInput(serializers.Serializer):
    current_password = PasswordField()
    new_password = PasswordField()


def invitation_payload(invitation: Invitation) -> dict:
    return {
        "id": invitation.pk,
        "role": invitation.role,
        "email": invitation.email or None,
        "status": invitation.status,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "created_by": invitation.created_by.username if invitation.created_by else None,
        "accepted_at": invitation.accepted_at,
        "accepted_by": invitation.accepted_by.username if invitation.accepted_by else None,
        "revoked_at": invitation.revoked_at,
    }


class UserListApi(APIView):
    permission = PERMISSION

    @extend_schema(operation_id="users_list", responses={200: dict})
    def get(self, request):
        return Response({"users": [user_payload(u) for u in user_list()]})


class UserInviteApi(APIView):
    """Create an invitation; the token (64 characters) is in this response only."""

    permission = PERMISSION

    @extend_schema(request=InviteInput, responses={201: dict, 409: dict})
    def post(self, request):
        data = validated(InviteInput, request.data)
        invitation, token = invitation_create(
            created_by=request.user, role=data["role"], email=data.get("email"), request=request
        )
        return Response(
            {
                **invitation_payload(invitation),
                "token": token,
                "accept_url": request.build_absolute_uri(f"/accounts/invitations/{token}/"),
            },
            status=status.HTTP_201_CREATED,
        )


class InvitationListApi(APIView):
    permission = PERMISSION

    @extend_schema(operation_id="users_invitations_list", responses={200: dict})
    def get(self, request):
        return Response({"invitations": [invitation_payload(i) for i in invitation_list()]})


class InvitationRevokeApi(APIView):
    permission = PERMISSION

    @extend_schema(responses={204: None, 404: dict, 409: dict})
    def delete(self, request, invitation_id: int):
        invitation_revoke(invitation_id=invitation_id, revoked_by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserDetailApi(APIView):
    permission = PERMISSION

    @extend_schema(responses={200: dict, 404: dict})
    def get(self, request, user_id: int):
        return Response(user_payload(user_get(user_id=user_id), with_two_factor=True))

    @extend_schema(request=UserUpdateInput, responses={200: dict, 404: dict, 409: dict})
    def put(self, request, user_id: int):
        data = validated(UserUpdateInput, request.data)
        user = user_update(
            user=user_get(user_id=user_id),
            changed_by=request.user,
            role=data.get("role"),
            is_active=data.get("is_active"),
            email=(data["email"] or "") if "email" in data else None,
            request=request,
        )
        return Response(user_payload(user, with_two_factor=True))

    @extend_schema(responses={204: None, 404: dict, 409: dict})
    def delete(self, request, user_id: int):
        user_delete(user=user_get(user_id=user_id), deleted_by=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserPasswordApi(ratelimit.RateLimitedApiMixin, APIView):
    """Change your own password (your API refresh tokens are revoked; a browser session stays).

    Guessing the current password is limited like sign-in: the shared per-IP password budget, a
    per-user budget, and wrong guesses count toward the account lockout."""

    permission = "self:password"
    rate_limit_groups = (ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)
    rate_limit_methods = ("PUT",)

    @extend_schema(request=PasswordChangeInput, responses={200: dict, 400: dict})
    def put(self, request):
        data = validated(PasswordChangeInput, request.data)
        user_password_change(
            user=request.user,
            current_password=data["current_password"],
            new_password=data["new_password"],
            request=request,
        )
        if request.session is not None and request.user.is_authenticated:
            update_session_auth_hash(request._request, request.user)
        return Response({"detail": "Password changed"})
