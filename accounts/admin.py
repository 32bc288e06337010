"""Django admin for users (roles audited through the services), invitations and second factors.

Role changes, activation and removal go through ``accounts.services.users`` so the admin flags
follow the role and every change is a ROLE_CHANGED event. Users are not added here (invitations or
``createadmin``). Second factors can be removed (a lost phone) — audited — but not edited; JWT
bookkeeping is shown without the token text.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Invitation, User
from accounts.services.invitations import invitation_revoke
from accounts.services.second_factors import second_factor_remove
from accounts.services.users import user_delete, user_unlock, user_update
from jutsu.admin_base import ReadOnlyAdmin
from jutsu.errors import JutsuError


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login", "locked_until")
    list_filter = ("role", "is_active")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "is_active"), "description": "admin ⇒ staff and superuser; viewer ⇒ neither"}),
        (
            "Security",
            {"fields": ("is_staff", "is_superuser", "failed_login_count", "locked_until", "last_login", "date_joined")},
        ),
    )
    readonly_fields = ("is_staff", "is_superuser", "failed_login_count", "locked_until", "last_login", "date_joined")
    actions = ["unlock_selected"]

    def has_add_permission(self, request):
        return False  # users join through invitations (or ``manage.py createadmin``)

    def save_model(self, request, obj, form, change):
        stored = User.objects.get(pk=obj.pk)
        new_role, new_active = obj.role, obj.is_active
        obj.role, obj.is_active = stored.role, stored.is_active
        obj.is_staff, obj.is_superuser = stored.is_staff, stored.is_superuser
        super().save_model(request, obj, form, change)
        try:
            updated = user_update(
                user=obj,
                changed_by=request.user,
                role=new_role if new_role != stored.role else None,
                is_active=new_active if new_active != stored.is_active else None,
                request=request,
            )
        except JutsuError as exc:
            messages.error(request, f"Role/active not changed: {exc.message}")
            return
        obj.role, obj.is_active = updated.role, updated.is_active
        obj.is_staff, obj.is_superuser = updated.is_staff, updated.is_superuser

    def delete_model(self, request, obj):
        try:
            user_delete(user=obj, deleted_by=request.user, request=request)
        except JutsuError as exc:
            messages.error(request, f"{obj.username} not deleted: {exc.message}")

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    @admin.action(description="Unlock selected users")
    def unlock_selected(self, request, queryset):
        for user in queryset:
            user_unlock(user=user, unlocked_by=request.user)
        self.message_user(request, f"{queryset.count()} user(s) unlocked")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("id", "role", "email", "status", "created_by", "created_at", "expires_at", "accepted_by")
    list_filter = ("role",)
    search_fields = ("email",)
    readonly_fields = [f.name for f in Invitation._meta.fields if f.name != "token_hash"]
    exclude = ("token_hash",)
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False  # the token must be shown once: create invitations on /accounts/users/ or the API

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke selected invitations")
    def revoke_selected(self, request, queryset):
        done = 0
        for invitation in queryset:
            try:
                invitation_revoke(invitation_id=invitation.pk, revoked_by=request.user, request=request)
                done += 1
            except JutsuError as exc:
                messages.warning(request, f"invitation #{invitation.pk}: {exc.message}")
        self.message_user(request, f"{done} invitation(s) revoked")


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class SecondFactorAdmin(admin.ModelAdmin):
    """Enrolled TOTP apps and passkeys; removable (lost device), never editable, secrets never shown."""

    list_display = ("user", "type", "label", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__username",)
    fields = ("user", "type", "label", "created_at", "last_used_at")
    readonly_fields = fields

    @admin.display(description="name")
    def label(self, obj):
        return obj.data.get("name", "") if obj.type == Authenticator.Type.WEBAUTHN else ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        second_factor_remove(authenticator=obj, removed_by=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


for model in (OutstandingToken, BlacklistedToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(ReadOnlyAdmin):
    """Issued refresh tokens (without the token text, which would let an admin act as the user)."""

    list_display = ("jti", "user", "created_at", "expires_at", "blacklisted")
    search_fields = ("user__username", "jti")
    fields = ("jti", "user", "created_at", "expires_at")
    readonly_fields = fields

    @admin.display(boolean=True)
    def blacklisted(self, obj):
        return hasattr(obj, "blacklistedtoken")
