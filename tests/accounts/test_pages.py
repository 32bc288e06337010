"""Pages: sign-in (password → TOTP, backup code or passkey), the admin behind allauth, the account
page (password, TOTP set-up with QR, backup codes, passkeys) and the admins' users page."""

from __future__ import annotations

import json
import re

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings

from accounts.models import SecurityEvent
from accounts.services.passkeys import passkey_register, passkey_registration_begin
from accounts.services.totp import totp_enable, totp_setup_begin
from tests.accounts.conftest import totp_now
from tests.accounts.webauthn_authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def with_totp(user) -> tuple[str, list[str]]:
    setup = totp_setup_begin(user=user)
    return setup.secret, totp_enable(user=user, code=totp_now(setup.secret))


def test_login_page_has_a_csrf_protected_form(client):
    page = client.get(settings.LOGIN_URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html and 'name="login"' in html and 'name="password"' in html
    assert not re.search(r"https?://(cdn|unpkg|cdnjs)", html)


def test_anonymous_root_redirects_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)


def test_password_login_without_second_factor(client, viewer_user, password):
    response = client.post("/accounts/login/?next=/accounts/", {"login": "viewer", "password": password})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert signed_in_user_id(client) == str(viewer_user.pk)
    event = SecurityEvent.objects.get(event_type="LOGIN_SUCCESS")
    assert event.details == {"channel": "session", "method": "password"}


def test_wrong_password_shows_an_error_and_counts(client, viewer_user):
    response = client.post("/accounts/login/", {"login": "viewer", "password": "nope"})
    assert response.status_code == 200 and signed_in_user_id(client) is None
    viewer_user.refresh_from_db()
    assert viewer_user.failed_login_count == 1


def test_login_with_totp_goes_through_the_second_factor_stage(client, viewer_user, password):
    secret, _ = with_totp(viewer_user)
    first = client.post("/accounts/login/", {"login": "viewer", "password": password})
    assert first.status_code == 302 and first["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None
    stage = client.get("/accounts/2fa/authenticate/")
    assert stage.status_code == 200 and 'name="code"' in stage.content.decode()
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "Invalid two-factor code" in wrong.content.decode()
    right = client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret, step_offset=1)})
    assert right.status_code == 302
    assert signed_in_user_id(client) == str(viewer_user.pk)
    event = SecurityEvent.objects.filter(event_type="LOGIN_SUCCESS").get()
    assert event.details["method"] == "password+totp"


def test_a_backup_code_works_at_the_stage(client, viewer_user, password):
    _, codes = with_totp(viewer_user)
    client.post("/accounts/login/", {"login": "viewer", "password": password})
    client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert signed_in_user_id(client) == str(viewer_user.pk)


def test_the_stage_is_unreachable_without_a_pending_login(client):
    response = client.get("/accounts/2fa/authenticate/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_passkey_at_the_stage_with_a_real_signature(client, viewer_user, password):
    device = SoftAuthenticator()
    options = passkey_registration_begin(user=viewer_user)
    passkey_register(user=viewer_user, challenge_id=options["challenge_id"], credential=device.create(options))
    client.post("/accounts/login/", {"login": "viewer", "password": password})
    stage = client.get("/accounts/2fa/authenticate/").content.decode()
    assert "passkeys.js" in stage and "authenticator app" not in stage
    assert 'name="code"' in stage and "One of your backup codes" in stage  # issued with the first passkey
    request_options = json.loads(
        re.search(r'id="passkey-options" type="application/json">(.*?)</script>', stage).group(1)
    )
    assertion = device.get(request_options)
    response = client.post("/accounts/2fa/authenticate/", {"credential": json.dumps(assertion)})
    assert response.status_code == 302, response.content.decode()[:500]
    assert signed_in_user_id(client) == str(viewer_user.pk)
    assert SecurityEvent.objects.filter(event_type="LOGIN_SUCCESS").get().details["method"] == "password+passkey"


def test_admin_sign_in_goes_through_allauth(client, admin_user, viewer_client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)
    assert viewer_client.get("/admin/login/").status_code == 403
    assert viewer_client.get("/admin/").status_code == 302  # not staff: Django sends it to the (guarded) login


def test_logout_is_a_post_and_is_recorded(viewer_client, viewer_user):
    response = viewer_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_user_id(viewer_client) is None
    assert SecurityEvent.objects.filter(event_type="LOGOUT", user=viewer_user).exists()


def test_account_page_shows_password_totp_backup_codes_and_passkeys(viewer_client):
    html = viewer_client.get("/accounts/").content.decode()
    for text in ("Password", "Authenticator app", "Backup codes", "Passkeys", "passkeys.js"):
        assert text in html


def test_totp_setup_page_shows_a_qr_code_and_enables_with_a_code(viewer_client, viewer_user, password):
    page = viewer_client.get("/accounts/2fa/setup/")
    html = page.content.decode()
    assert page.status_code == 200 and 'src="data:image/svg+xml;base64,' in html
    assert 'name="current_password"' in html
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', html).group(1)
    without = viewer_client.post("/accounts/2fa/setup/", {"code": totp_now(secret)})
    assert without.status_code == 400 and "confirm your current password" in without.content.decode()
    assert not Authenticator.objects.filter(user=viewer_user).exists()
    done = viewer_client.post("/accounts/2fa/setup/", {"code": totp_now(secret), "current_password": password})
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>[a-z2-9]{5}-[a-z2-9]{5}</code></li>", done.content.decode())) == 10
    assert Authenticator.objects.filter(user=viewer_user, type="totp").exists()


def test_totp_disable_and_backup_code_pages(viewer_client, viewer_user):
    secret, codes = with_totp(viewer_user)
    regenerated = viewer_client.post("/accounts/2fa/backup-codes/", {"code": codes[0]})
    assert regenerated.status_code == 200 and "shown only now" in regenerated.content.decode()
    refused = viewer_client.post("/accounts/2fa/disable/", {"code": "000000"})
    assert refused.status_code == 400
    viewer_client.post("/accounts/2fa/disable/", {"code": totp_now(secret, step_offset=1)})
    assert not Authenticator.objects.filter(user=viewer_user).exists()


def test_password_change_page_keeps_the_session(viewer_client, viewer_user, password):
    new = "Page-Changed-Pass-55"
    response = viewer_client.post(
        "/accounts/password/", {"current_password": password, "new_password": new, "new_password_again": new}
    )
    assert response.status_code == 302
    viewer_user.refresh_from_db()
    assert viewer_user.check_password(new)
    assert viewer_client.get("/accounts/").status_code == 200


def test_passkey_remove_page_asks_for_the_password(viewer_client, viewer_user, password):
    device = SoftAuthenticator()
    options = passkey_registration_begin(user=viewer_user)
    key = passkey_register(
        user=viewer_user, challenge_id=options["challenge_id"], credential=device.create(options)
    ).authenticator
    confirm = viewer_client.get(f"/accounts/passkeys/{key.pk}/delete/")
    assert confirm.status_code == 200 and 'name="current_password"' in confirm.content.decode()
    wrong = viewer_client.post(f"/accounts/passkeys/{key.pk}/delete/", {"current_password": "not-it"})
    assert wrong.status_code == 400 and "incorrect" in wrong.content.decode()
    assert Authenticator.objects.filter(pk=key.pk).exists()
    done = viewer_client.post(f"/accounts/passkeys/{key.pk}/delete/", {"current_password": password})
    assert done.status_code == 302 and not Authenticator.objects.filter(pk=key.pk).exists()


def test_users_page_is_for_admins_and_shows_the_invitation_link_once(admin_client, viewer_client):
    assert viewer_client.get("/accounts/users/").status_code == 403
    response = admin_client.post("/accounts/users/", {"role": "viewer", "email": ""})
    html = response.content.decode()
    assert response.status_code == 200
    link = re.search(r"/accounts/invitations/([A-Za-z0-9_-]{64})/", html)
    assert link, "the new invitation link is shown"
    assert link.group(1) not in admin_client.get("/accounts/users/").content.decode()
