"""The public invitation page: check the token, choose a username and password, get signed in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import ratelimit
from accounts.forms import InvitationAcceptForm, form_error_from
from accounts.permissions import PUBLIC, permission_required
from accounts.services.invitations import invitation_accept, invitation_check
from accounts.services.login import login_succeeded
from jutsu.errors import JutsuError

_BACKEND = "accounts.backends.LockoutBackend"


@permission_required(PUBLIC)
@ratelimit.rate_limited_post(ratelimit.INVITATION)
@require_http_methods(["GET", "POST"])
def invitation_accept_page(request, token: str):
    try:
        invitation = invitation_check(token=token)
    except JutsuError as exc:
        return render(request, "accounts/invitation_invalid.html", {"detail": exc.message}, status=exc.status_code)
    form = InvitationAcceptForm(request.POST or None, initial={"email": invitation.email})
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                email=form.cleaned_data.get("email"),
                request=request,
            )
        except JutsuError as exc:
            form_error_from(form, exc)
        else:
            login(request, user, backend=_BACKEND)
            login_succeeded(user=user, request=request, channel="session", method="invitation")
            return redirect(settings.LOGIN_REDIRECT_URL)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form}, status=status)
