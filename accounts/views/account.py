"""The account page: password, TOTP set-up (QR code), backup codes, passkeys. Same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import ratelimit, selectors
from accounts.forms import (
    BackupCodesForm,
    CodeForm,
    PasskeyRemoveForm,
    PasswordChangeForm,
    TotpEnableForm,
    form_error_from,
)
from accounts.permissions import AUTHENTICATED, permission_required
from accounts.services.passkeys import passkey_revoke
from accounts.services.reauthentication import factor_change_authorize
from accounts.services.totp import (
    backup_codes_regenerate,
    totp_disable,
    totp_enable,
    totp_setup_begin,
    totp_setup_pending,
)
from accounts.services.users import user_password_change
from jutsu.errors import JutsuError


def _account_context(request, **extra) -> dict:
    user = request.user
    context = {
        "status": selectors.mfa_status(user),
        "passkeys": selectors.passkey_list(user),
        "password_form": PasswordChangeForm(),
        "disable_form": CodeForm(),
        "backup_form": BackupCodesForm(),
    }
    context.update(extra)
    return context


@permission_required(AUTHENTICATED)
@require_http_methods(["GET"])
def account_page(request):
    return render(request, "accounts/account.html", _account_context(request))


@permission_required("self:password")
@ratelimit.rate_limited_post(ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)
@require_http_methods(["GET", "POST"])
def password_change_page(request):
    if request.method == "GET":
        return redirect("accounts:account")
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            user_password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                request=request,
                channel="session",
            )
        except JutsuError as exc:
            form_error_from(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "Password changed.")
            return redirect("accounts:account")
    return render(request, "accounts/account.html", _account_context(request, password_form=form), status=400)


@permission_required("self:2fa")
@ratelimit.rate_limited_post(ratelimit.SECOND_FACTOR, ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)
@require_http_methods(["GET", "POST"])
def totp_setup_page(request):
    """GET: a fresh secret with its QR code. POST: the current code (with the current password, unless a
    second factor was verified in the last 5 minutes) enables TOTP."""
    if request.method == "POST":
        form = TotpEnableForm(request.POST)
        if form.is_valid():
            try:
                password = form.cleaned_data["current_password"]
                factor_change_authorize(user=request.user, password=password, request=request, channel="session")
                codes = totp_enable(user=request.user, code=form.cleaned_data["code"], request=request)
            except JutsuError as exc:
                form_error_from(form, exc)
            else:
                messages.success(request, "Two-factor authentication is on.")
                return render(request, "accounts/backup_codes.html", {"codes": codes, "fresh_setup": True})
        status = 400
    else:
        form, status = TotpEnableForm(), 200
    try:
        # a refused confirmation shows the key being set up again; a fresh visit starts a new one
        pending = totp_setup_pending(user=request.user) if request.method == "POST" else None
        setup = pending or totp_setup_begin(user=request.user)
    except JutsuError as exc:
        messages.info(request, exc.message)
        return redirect("accounts:account")
    return render(request, "accounts/totp_setup.html", {"setup": setup, "form": form}, status=status)


@permission_required("self:2fa")
@ratelimit.rate_limited_post(ratelimit.SECOND_FACTOR)
@require_POST
def totp_disable_page(request):
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            totp_disable(user=request.user, code=form.cleaned_data["code"], request=request)
        except JutsuError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "Two-factor authentication with an authenticator app is off.")
            return redirect("accounts:account")
    return render(request, "accounts/account.html", _account_context(request, disable_form=form), status=400)


@permission_required("self:2fa")
@ratelimit.rate_limited_post(ratelimit.SECOND_FACTOR, ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)
@require_POST
def backup_codes_page(request):
    form = BackupCodesForm(request.POST)
    if form.is_valid():
        try:
            codes = backup_codes_regenerate(
                user=request.user,
                code=form.cleaned_data.get("code") or "",
                password=form.cleaned_data.get("password") or "",
                request=request,
            )
        except JutsuError as exc:
            form_error_from(form, exc)
        else:
            return render(request, "accounts/backup_codes.html", {"codes": codes, "fresh_setup": False})
    return render(request, "accounts/account.html", _account_context(request, backup_form=form), status=400)


@permission_required("self:passkey")
@ratelimit.rate_limited_post(ratelimit.PASSKEY_REGISTER, ratelimit.CURRENT_PASSWORD, ratelimit.USER_PASSWORD)
@require_http_methods(["GET", "POST"])
def passkey_delete_page(request, passkey_id: int):
    """GET: confirm the removal (current password, unless a second factor was verified in the last 5
    minutes). POST: remove the passkey."""
    passkey = selectors.passkey_authenticators(request.user).filter(pk=passkey_id).first()
    if passkey is None:
        messages.error(request, "That passkey does not exist (or is not yours).")
        return redirect("accounts:account")
    form = PasskeyRemoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            password = form.cleaned_data["current_password"]
            factor_change_authorize(user=request.user, password=password, request=request, channel="session")
            passkey_revoke(user=request.user, passkey_id=passkey_id, request=request)
        except JutsuError as exc:
            form_error_from(form, exc)
        else:
            messages.success(request, "Passkey removed.")
            return redirect("accounts:account")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "passkey": selectors.passkey_summary(passkey)}
    return render(request, "accounts/passkey_delete.html", context, status=status)
