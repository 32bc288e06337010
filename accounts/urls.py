"""Pages of the accounts app (mounted at ``/``).

allauth's own URL names (``account_login``, ``account_logout``, ``mfa_authenticate`` …) must stay
un-namespaced because allauth reverses them, so this module has no ``app_name``; our pages live in
the ``accounts`` namespace below. Only the allauth views we use are mounted: no sign-up, no e-mail
flows, no allauth MFA management pages (ours call the audited services instead).
"""

from __future__ import annotations

from django.urls import include, path

from accounts.views import account, invitations, login, users

account_patterns = [
    path("", account.account_page, name="account"),
    path("password/", account.password_change_page, name="password_change"),
    path("2fa/setup/", account.totp_setup_page, name="totp_setup"),
    path("2fa/disable/", account.totp_disable_page, name="totp_disable"),
    path("2fa/backup-codes/", account.backup_codes_page, name="backup_codes"),
    path("passkeys/<int:passkey_id>/delete/", account.passkey_delete_page, name="passkey_delete"),
    path("invitations/<str:token>/", invitations.invitation_accept_page, name="invitation_accept"),
    path("users/", users.users_page, name="users"),
    path("users/invitations/<int:invitation_id>/revoke/", users.invitation_revoke_page, name="invitation_revoke"),
]

urlpatterns = [
    path("accounts/login/", login.LoginView.as_view(), name="account_login"),
    path("accounts/logout/", login.LogoutView.as_view(), name="account_logout"),
    path("accounts/inactive/", login.AccountInactiveView.as_view(), name="account_inactive"),
    path("accounts/2fa/authenticate/", login.SecondFactorView.as_view(), name="mfa_authenticate"),
    path("accounts/", include((account_patterns, "accounts"))),
]
