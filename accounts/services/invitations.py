"""Invitations: the only way in besides ``createadmin``.

An admin picks a role (and optionally an e-mail); the token is ``secrets.token_urlsafe(48)``
(64 characters), shown once and stored as its SHA-256. It is valid 48 hours, single use and
revocable; accepting it creates the user with that role. The instance holds at most 20 active
users, counting invitations still pending when a new one is created.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.errors import InvitationGone, InvitationUsed, UserLimitReached
from accounts.models import Invitation, InvitationStatus
from accounts.selectors import active_user_count
from accounts.services.users import MAX_ACTIVE_USERS, email_normalise, role_check, user_create
from jutsu.errors import ConflictError, NotFound
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

VALID_HOURS = 48
TOKEN_BYTES = 48  # token_urlsafe(48) → 64 characters


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def invitation_create(*, created_by, role: str, email: str | None = None, request=None) -> tuple[Invitation, str]:
    """Create an invitation; returns it and the token (never stored, shown only now)."""
    from django.contrib.auth import get_user_model

    role_check(role)
    email = email_normalise(email)
    if email and get_user_model().objects.filter(email__iexact=email).exists():
        raise ConflictError("email: a user with this address already exists")
    now = timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        pending = Invitation.objects.pending(now).count()
        active = active_user_count()
        if active + pending >= MAX_ACTIVE_USERS:
            raise UserLimitReached(
                f"At most {MAX_ACTIVE_USERS} active users: {active} users and {pending} pending "
                "invitations already; revoke an invitation or remove a user first"
            )
        invitation = Invitation.objects.create(
            token_hash=token_hash(token),
            email=email or "",
            role=role,
            created_by=created_by,
            created_at=now,
            expires_at=now + timedelta(hours=VALID_HOURS),
        )
        security_event_record(
            SecurityEventType.USER_INVITED,
            user=created_by,
            request=request,
            details={"action": "created", "invitation_id": invitation.pk, "role": role, "email": email},
        )
    return invitation, token


def _check(invitation: Invitation | None, *, at) -> Invitation:
    if invitation is None:
        raise NotFound("Invitation not found: check the link")
    status = invitation.status_at(at)
    if status == InvitationStatus.ACCEPTED:
        raise InvitationUsed("This invitation has already been used")
    if status == InvitationStatus.REVOKED:
        raise InvitationGone("This invitation was revoked; ask an admin for a new one")
    if status == InvitationStatus.EXPIRED:
        raise InvitationGone(
            f"This invitation expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC; ask an admin for a new one"
        )
    return invitation


def invitation_check(*, token: str) -> Invitation:
    """The pending invitation for ``token``; NotFound (404), used (409), expired/revoked (410)."""
    return _check(Invitation.objects.filter(token_hash=token_hash(token)).first(), at=timezone.now())


def invitation_accept(*, token: str, username: str, password: str, email: str | None = None, request=None):
    """Create the invited user (role from the invitation) and consume the invitation."""
    now = timezone.now()
    with transaction.atomic():
        invitation = _check(Invitation.objects.select_for_update().filter(token_hash=token_hash(token)).first(), at=now)
        user = user_create(username=username, password=password, role=invitation.role, email=invitation.email or email)
        invitation.accepted_at, invitation.accepted_by = now, user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        security_event_record(
            SecurityEventType.INVITATION_ACCEPTED,
            user=user,
            request=request,
            details={
                "invitation_id": invitation.pk,
                "role": invitation.role,
                "invited_by_id": invitation.created_by_id,
            },
        )
    return user


def invitation_revoke(*, invitation_id: int, revoked_by, request=None) -> Invitation:
    """Revoke a pending invitation (its link stops working)."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None:
            raise NotFound(f"invitation {invitation_id} does not exist")
        if invitation.accepted_at is not None:
            raise InvitationUsed("This invitation was already accepted; remove the user instead")
        if invitation.revoked_at is None:
            invitation.revoked_at, invitation.revoked_by = timezone.now(), revoked_by
            invitation.save(update_fields=["revoked_at", "revoked_by"])
            security_event_record(
                SecurityEventType.USER_INVITED,
                user=revoked_by,
                request=request,
                details={"action": "revoked", "invitation_id": invitation.pk, "role": invitation.role},
            )
    return invitation
