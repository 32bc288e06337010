"""Users: creation (invitations, ``createadmin``), role changes (audited), removal, passwords.

The role decides everything: ``admin`` ⇒ ``is_staff`` and ``is_superuser`` (Django admin access),
``viewer`` ⇒ neither. Only these functions change a role, so the flags never drift and every
change is a ROLE_CHANGED event. At most ``MAX_ACTIVE_USERS`` active users per instance.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import selectors
from accounts.errors import UserLimitReached
from accounts.roles import Role
from accounts.services.login import PASSWORD_CHANGE, current_password_confirm
from accounts.services.tokens import user_tokens_revoke_all
from jutsu.errors import ConflictError, InvalidParameter, PermissionDeniedError
from jutsu.models import SecurityEventType
from jutsu.security import security_event_record

MAX_ACTIVE_USERS = 20


def _sync_role_flags(user) -> None:
    user.is_staff = user.is_superuser = user.role == Role.ADMIN


def _validation_message(field: str, exc: ValidationError) -> str:
    return f"{field}: " + " ".join(exc.messages)


def role_check(role: str) -> str:
    """``role`` when it is a known role; otherwise ``InvalidParameter`` naming the roles."""
    if role not in Role.values:
        raise InvalidParameter(f"role: must be one of {', '.join(Role.values)}")
    return role


def email_normalise(email: str | None) -> str | None:
    """Stripped, lower-case e-mail address; ``None`` for none (the column is unique but nullable)."""
    return (email or "").strip().lower() or None


def user_create(*, username: str, password: str, role: str, email: str | None = None):
    """Create an active user with a validated password and the flags of its role."""
    user_model = get_user_model()
    role_check(role)
    username = (username or "").strip()
    email = email_normalise(email)
    user = user_model(username=username, email=email, role=role, is_active=True)
    _sync_role_flags(user)
    try:
        user_model.username_validator(username)
        if not username:
            raise ValidationError("This field is required.")
    except ValidationError as exc:
        raise InvalidParameter(_validation_message("username", exc)) from None
    if user_model.objects.filter(username__iexact=username).exists():
        raise ConflictError(f"username: {username!r} is already taken")
    if email and user_model.objects.filter(email__iexact=email).exists():
        raise ConflictError("email: another user already has this address")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidParameter(_validation_message("password", exc)) from None
    with transaction.atomic():
        if selectors.active_user_count() >= MAX_ACTIVE_USERS:
            raise UserLimitReached(f"This instance already has the maximum of {MAX_ACTIVE_USERS} active users")
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
    return user


def _admins_left_without(user) -> int:
    return get_user_model().objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).count()


def user_role_change(*, user, role: str, changed_by=None, request=None):
    """Change ``user``'s role (audited as ROLE_CHANGED); the last active admin cannot be demoted."""
    role_check(role)
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        old_role = user.role
        if old_role == role:
            if user.is_staff != (role == Role.ADMIN) or user.is_superuser != (role == Role.ADMIN):
                _sync_role_flags(user)
                user.save(update_fields=["is_staff", "is_superuser"])
            return user
        if old_role == Role.ADMIN and user.is_active and _admins_left_without(user) == 0:
            raise ConflictError("Cannot demote the last active admin")
        user.role = role
        _sync_role_flags(user)
        user.save(update_fields=["role", "is_staff", "is_superuser"])
        user_tokens_revoke_all(user=user)  # new rights take effect now; old refresh tokens end
        security_event_record(
            SecurityEventType.ROLE_CHANGED,
            user=changed_by,
            username="" if changed_by is not None else "system",
            request=request,
            details={
                "target_user_id": user.pk,
                "target_username": user.username,
                "old_role": old_role,
                "new_role": role,
            },
        )
    return user


def user_update(
    *,
    user,
    changed_by=None,
    role: str | None = None,
    is_active: bool | None = None,
    email: str | None = None,
    request=None,
):
    """Admin edit of another user: role, active flag, e-mail."""
    if changed_by is not None and changed_by.pk == user.pk and (role not in (None, user.role) or is_active is False):
        raise PermissionDeniedError("You cannot change your own role or deactivate yourself")
    if role is not None:
        user = user_role_change(user=user, role=role, changed_by=changed_by, request=request)
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        fields = []
        if email is not None:
            email = email_normalise(email)
            if email and get_user_model().objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise ConflictError("email: another user already has this address")
            user.email = email
            fields.append("email")
        if is_active is not None and is_active != user.is_active:
            if is_active and selectors.active_user_count() >= MAX_ACTIVE_USERS:
                raise UserLimitReached(f"This instance already has the maximum of {MAX_ACTIVE_USERS} active users")
            if not is_active and user.role == Role.ADMIN and _admins_left_without(user) == 0:
                raise ConflictError("Cannot deactivate the last active admin")
            user.is_active = is_active
            fields.append("is_active")
            security_event_record(
                SecurityEventType.ROLE_CHANGED,
                user=changed_by,
                request=request,
                details={
                    "target_user_id": user.pk,
                    "target_username": user.username,
                    "old_role": user.role,
                    "new_role": user.role,
                    "action": "activated" if is_active else "deactivated",
                },
            )
        if fields:
            user.save(update_fields=fields)
        if is_active is False:
            user_tokens_revoke_all(user=user)
    return user


def user_delete(*, user, deleted_by=None, request=None) -> None:
    """Remove a user (their security events stay, with the username)."""
    if deleted_by is not None and deleted_by.pk == user.pk:
        raise PermissionDeniedError("You cannot delete your own account")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        if user.role == Role.ADMIN and user.is_active and _admins_left_without(user) == 0:
            raise ConflictError("Cannot delete the last active admin")
        security_event_record(
            SecurityEventType.ROLE_CHANGED,
            user=deleted_by,
            request=request,
            details={
                "target_user_id": user.pk,
                "target_username": user.username,
                "old_role": user.role,
                "new_role": None,
                "action": "deleted",
            },
        )
        user.delete()


def user_password_change(*, user, current_password: str, new_password: str, request=None, channel: str = "api") -> None:
    """The user changes their own password; every API refresh token of theirs is revoked.

    A wrong current password counts toward the lockout (``current_password_confirm``)."""
    current_password_confirm(
        user=user, password=current_password, request=request, channel=channel, purpose=PASSWORD_CHANGE
    )
    user_password_set(user=user, password=new_password)


def user_password_set(*, user, password: str) -> None:
    """Set a validated password, clear any lockout and end the user's API sessions."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidParameter(_validation_message("password", exc)) from None
    user.set_password(password)
    user.failed_login_count, user.locked_until = 0, None
    user.save(update_fields=["password", "failed_login_count", "locked_until"])
    user_tokens_revoke_all(user=user)


def user_unlock(*, user, unlocked_by=None) -> None:
    """Clear a lockout before it expires (admin action)."""
    get_user_model().objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)


def admin_ensure(*, username: str, password: str | None, email: str | None = None, reset_password: bool = False):
    """``createadmin``: create the admin, or (idempotently) report/refresh an existing one.

    Returns ``(user, action)`` with action ``created``, ``exists`` or ``password_reset``. An existing
    non-admin user is refused (promote through the admin or the API, which audit the change).
    """
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        if not password:
            raise InvalidParameter("password: required to create the admin")
        return user_create(username=username, password=password, role=Role.ADMIN, email=email), "created"
    if user.role != Role.ADMIN:
        raise ConflictError(f"user {username!r} exists with role {user.role}; change the role in the admin instead")
    if not reset_password:
        return user, "exists"
    if not password:
        raise InvalidParameter("password: required with --reset-password")
    user_password_set(user=user, password=password)
    if not user.is_active or not user.is_staff or not user.is_superuser:
        user.is_active = user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_active", "is_staff", "is_superuser"])
    return user, "password_reset"
