"""Page forms. Validation of credentials and codes happens in the services; forms carry input."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.core import context
from django import forms

from accounts.errors import AccountLocked, AuthenticationFailed
from accounts.roles import Role
from jutsu.errors import JutsuError
from jutsu.json_limits import JSONFormField

PASSKEY_CHALLENGE_SESSION_KEY = "accounts.passkey_login_challenge"


class LoginForm(AllauthLoginForm):
    """allauth's login form; a locked account gets the lockout message instead of "wrong password"."""

    def _clean_with_password(self, credentials: dict):
        try:
            return super()._clean_with_password(credentials)
        except forms.ValidationError:
            error = getattr(self.request, "jutsu_auth_error", None)
            if isinstance(error, AccountLocked):
                raise forms.ValidationError(error.message) from None
            raise


class SecondFactorCodeForm(forms.Form):
    """The login stage's code form (allauth ``MFA_FORMS['authenticate']``): TOTP or a backup code."""

    code = forms.CharField(
        label="Authenticator code or backup code",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        self.user = kwargs.pop("user")
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        from accounts.services.login import LOGIN, second_factor_verify

        code = self.cleaned_data["code"]
        try:
            self.method = second_factor_verify(
                user=self.user, code=code, request=context.request, channel="session", purpose=LOGIN
            )
        except AuthenticationFailed as exc:
            raise forms.ValidationError(exc.message) from None
        return code

    def save(self) -> None:
        context.request.session["accounts.second_factor"] = self.method


class PasskeyAssertionForm(forms.Form):
    """The login stage's passkey form: the browser posts the assertion as JSON."""

    credential = JSONFormField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        self.user = kwargs.pop("user")
        super().__init__(*args, **kwargs)

    def clean_credential(self):
        from accounts.services.passkeys import passkey_authenticate

        credential = self.cleaned_data["credential"]
        request = context.request
        challenge_id = request.session.pop(PASSKEY_CHALLENGE_SESSION_KEY, None)
        if not isinstance(credential, dict):
            raise forms.ValidationError("The passkey response is malformed")
        try:
            passkey_authenticate(
                challenge_id=challenge_id, credential=credential, request=request, expected_user=self.user
            )
        except AuthenticationFailed as exc:
            raise forms.ValidationError(f"{exc.message}. Try again.") from None
        return credential

    def save(self) -> None:
        context.request.session["accounts.second_factor"] = "passkey"


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password_again = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ")
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32, widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})
    )


def _current_password_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=4096,
        strip=False,
        label="Current password",
        help_text="Not needed within 5 minutes of signing in or of verifying a second factor.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TotpEnableForm(CodeForm):
    """The code that turns TOTP on, with the proof that the account's owner is present."""

    current_password = _current_password_field()


class PasskeyRemoveForm(forms.Form):
    current_password = _current_password_field()


class BackupCodesForm(forms.Form):
    code = forms.CharField(
        required=False, max_length=32, widget=forms.TextInput(attrs={"autocomplete": "one-time-code"})
    )
    password = forms.CharField(required=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class InviteForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)
    email = forms.EmailField(required=False)


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ")
        return data


def form_error_from(form: forms.Form, exc: JutsuError) -> None:
    """Attach a service error to the field it names (``"field: message"``), else to the form."""
    field, sep, message = exc.message.partition(": ")
    if sep and field in form.fields:
        form.add_error(field, message)
    else:
        form.add_error(None, exc.message)
