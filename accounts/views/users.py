"""The admins' users page: users, invitations, invite (the link is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors
from accounts.forms import InviteForm, form_error_from
from accounts.permissions import permission_required
from accounts.services.invitations import invitation_create, invitation_revoke
from jutsu.errors import JutsuError

PERMISSION = "users:manage"


@permission_required(PERMISSION)
@require_http_methods(["GET", "POST"])
def users_page(request):
    form = InviteForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation, token = invitation_create(
                    created_by=request.user,
                    role=form.cleaned_data["role"],
                    email=form.cleaned_data.get("email") or None,
                    request=request,
                )
            except JutsuError as exc:
                form_error_from(form, exc)
                status = exc.status_code
            else:
                created = {
                    "invitation": invitation,
                    "url": request.build_absolute_uri(f"/accounts/invitations/{token}/"),
                }
                form = InviteForm()
        else:
            status = 400
    context = {
        "users": selectors.user_list(),
        "invitations": selectors.invitation_list()[:50],
        "form": form,
        "created": created,
    }
    return render(request, "accounts/users.html", context, status=status)


@permission_required(PERMISSION)
@require_POST
def invitation_revoke_page(request, invitation_id: int):
    try:
        invitation_revoke(invitation_id=invitation_id, revoked_by=request.user, request=request)
    except JutsuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Invitation revoked.")
    return redirect("accounts:users")
