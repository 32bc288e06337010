"""API endpoints of the accounts app (mounted under ``/api/``; no trailing slashes)."""

from __future__ import annotations

from django.urls import path

from accounts.apis import auth, invitations, mfa, passkeys, users

app_name = "accounts-api"
urlpatterns = [
    # sign-in and tokens
    path("auth/status", auth.AuthStatusApi.as_view(), name="auth-status"),
    path("auth/login", auth.AuthLoginApi.as_view(), name="auth-login"),
    path("auth/login/2fa", auth.AuthLoginSecondFactorApi.as_view(), name="auth-login-2fa"),
    path("auth/refresh", auth.AuthRefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", auth.AuthLogoutApi.as_view(), name="auth-logout"),
    path("auth/me", auth.AuthMeApi.as_view(), name="auth-me"),
    # TOTP and backup codes
    path("2fa/status", mfa.TwoFactorStatusApi.as_view(), name="2fa-status"),
    path("2fa/setup", mfa.TwoFactorSetupApi.as_view(), name="2fa-setup"),
    path("2fa/verify", mfa.TwoFactorVerifyApi.as_view(), name="2fa-verify"),
    path("2fa/disable", mfa.TwoFactorDisableApi.as_view(), name="2fa-disable"),
    path("2fa/validate", mfa.TwoFactorValidateApi.as_view(), name="2fa-validate"),
    path("2fa/backup-codes/regenerate", mfa.BackupCodesRegenerateApi.as_view(), name="2fa-backup-codes"),
    # passkeys
    path("passkey/status", passkeys.PasskeyStatusApi.as_view(), name="passkey-status"),
    path("passkey/list", passkeys.PasskeyListApi.as_view(), name="passkey-list"),
    path("passkey/register/options", passkeys.PasskeyRegisterOptionsApi.as_view(), name="passkey-register-options"),
    path("passkey/register", passkeys.PasskeyRegisterApi.as_view(), name="passkey-register"),
    path(
        "passkey/authenticate/options",
        passkeys.PasskeyAuthenticateOptionsApi.as_view(),
        name="passkey-authenticate-options",
    ),
    path("passkey/authenticate", passkeys.PasskeyAuthenticateApi.as_view(), name="passkey-authenticate"),
    path("passkey/<int:passkey_id>", passkeys.PasskeyDetailApi.as_view(), name="passkey-detail"),
    # users and invitations (admins), own password (everyone)
    path("users", users.UserListApi.as_view(), name="users"),
    path("users/invite", users.UserInviteApi.as_view(), name="users-invite"),
    path("users/invitations", users.InvitationListApi.as_view(), name="invitations"),
    path("users/invitations/<int:invitation_id>", users.InvitationRevokeApi.as_view(), name="invitation-revoke"),
    path("users/me/password", users.UserPasswordApi.as_view(), name="users-me-password"),
    path("users/<int:user_id>", users.UserDetailApi.as_view(), name="user-detail"),
    # public invitation endpoints
    path("invitations/<str:token>", invitations.InvitationDetailApi.as_view(), name="invitation-detail"),
    path("invitations/<str:token>/accept", invitations.InvitationAcceptApi.as_view(), name="invitation-accept"),
]
