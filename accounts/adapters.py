"""allauth adapters: our client IP, closed sign-up, login events; Fernet-encrypted MFA secrets."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied

from accounts.crypto import decrypt_text, encrypt_text
from jutsu.client_ip import client_ip

_ENCRYPTED_PREFIX = "fernet:"


class AccountAdapter(DefaultAccountAdapter):
    """Page sign-in through allauth, with the platform's rules."""

    def is_open_for_signup(self, request) -> bool:
        return False  # no public sign-up: accounts come from invitations or ``createadmin``

    def get_client_ip(self, request) -> str:
        # allauth's rate limits key on this; honour proxy headers only from trusted proxies.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def login(self, request, user) -> None:
        """The very end of a page sign-in (after the second factor): reset lockout, audit."""
        from accounts.services.login import login_succeeded

        second_factor = request.session.pop("accounts.second_factor", None)
        super().login(request, user)
        method = f"password+{second_factor}" if second_factor else "password"
        login_succeeded(user=user, request=request, channel="session", method=method)

    def logout(self, request) -> None:
        from accounts.services.login import logout_recorded

        user = request.user if request.user.is_authenticated else None
        super().logout(request)
        if user is not None:
            logout_recorded(user=user, request=request, channel="session")

    def send_mail(self, template_prefix, email, context) -> None:
        return None  # the platform sends no account e-mail (no e-mail backend is configured)


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets encrypted at rest; the WebAuthn relying party comes from settings."""

    def encrypt(self, text: str) -> str:
        return _ENCRYPTED_PREFIX + encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_ENCRYPTED_PREFIX):
            raise ValueError("refusing to use an unencrypted MFA secret")
        return decrypt_text(encrypted_text[len(_ENCRYPTED_PREFIX) :])

    def get_totp_issuer(self) -> str:
        return settings.MFA_TOTP_ISSUER

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        return {"id": settings.WEBAUTHN_RP_ID, "name": settings.WEBAUTHN_RP_NAME}

    def send_notification_mail(self, *args, **kwargs) -> None:
        return None
