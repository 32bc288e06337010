"""Attacks from a hostile outsider, beside the permission matrix: forged tokens, hostile JSON, paths.

Every case here was a 5xx or a leak once (issue 8); each asserts the answer a client gets (status,
``{"detail", "code"}``) and, where the platform promises one, the security event.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from accounts.models import SecurityEvent
from tests.accounts.conftest import api_login, bearer

pytestmark = pytest.mark.django_db


# --- forged, altered, expired and malformed tokens: 401 and TOKEN_INVALID, never a 5xx ---------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _unsigned(token: str) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(_payload(token)).encode())}."


def _wrong_key(token: str) -> str:
    return jwt.encode(_payload(token), "not-the-server-key-" + "k" * 32, algorithm="HS256")


def _other_algorithm(token: str) -> str:
    return jwt.encode(_payload(token), settings.SECRET_KEY, algorithm="HS512")


def _altered(token: str) -> str:
    header, _, signature = token.split(".")
    payload = {**_payload(token), "sub": "1", "role": "admin"}
    return f"{header}.{_b64(json.dumps(payload).encode())}.{signature}"


def _payload_not_an_object(token: str) -> str:
    return f"{token.split('.')[0]}.{_b64(b'[1, 2]')}.{token.split('.')[2]}"


FORGERIES = {
    "alg_none": _unsigned,
    "wrong_key": _wrong_key,
    "other_algorithm": _other_algorithm,
    "altered_payload": _altered,
    "payload_not_an_object": _payload_not_an_object,
    "expired_genuine": lambda token: token,  # presented 8 days later
    "garbage": lambda token: "abc.def.ghi",
    "no_dots": lambda token: "x" * 300,
    "over_long": lambda token: token + "A" * 20_000,
    "non_ascii": lambda token: "é.ü.ß",
    "header_only": lambda token: token.split(".")[0],
}


def _present(kind: str):
    later = timezone.now() + timedelta(days=8) if kind == "expired_genuine" else None
    return time_machine.travel(later, tick=False) if later else _Nothing()


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _token_invalid_events() -> int:
    return SecurityEvent.objects.filter(event_type="TOKEN_INVALID").count()


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_or_expired_refresh_token_is_a_401_asking_to_sign_in_again(api, viewer_user, password, kind):
    genuine = api_login(api, "viewer", password).json()["refresh_token"]
    token = FORGERIES[kind](genuine)
    with _present(kind):
        response = api.post("/api/auth/refresh", {"refresh_token": token}, format="json")
    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "Invalid or expired refresh token: sign in again", "code": "token_invalid"}
    assert _token_invalid_events() == 1


@pytest.mark.parametrize("kind", FORGERIES)
def test_logout_with_a_forged_or_expired_refresh_token_is_a_401(api, viewer_user, password, kind):
    body = api_login(api, "viewer", password).json()
    token = FORGERIES[kind](body["refresh_token"])
    with _present(kind):
        response = api.post("/api/auth/logout", {"refresh_token": token}, format="json")
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "token_invalid"
    assert _token_invalid_events() == 1
    # the genuine refresh token was not touched by the forged logout
    assert api.post("/api/auth/refresh", {"refresh_token": body["refresh_token"]}, format="json").status_code == 200


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_or_expired_bearer_token_is_a_401_on_any_api(api, viewer_user, password, kind):
    token = FORGERIES[kind](api_login(api, "viewer", password).json()["access_token"])
    with _present(kind):
        me = bearer(api, token).get("/api/auth/me")
        strategies = bearer(api, token).get("/api/strategies")
    assert me.status_code == strategies.status_code == 401, (me.content, strategies.content)
    assert me.json() == {"detail": "Invalid or expired token: sign in again", "code": "token_not_valid"}
    assert _token_invalid_events() == 1


def test_a_refresh_token_rotated_away_is_suspicious_and_a_401_also_after_it_expired(api, viewer_user, password):
    first = api_login(api, "viewer", password).json()["refresh_token"]
    assert api.post("/api/auth/refresh", {"refresh_token": first}, format="json").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        late = api.post("/api/auth/refresh", {"refresh_token": first}, format="json")
    assert late.status_code == 401
    # reuse is reported while the token would still be valid; an expired one is only invalid
    assert not SecurityEvent.objects.filter(event_type="SUSPICIOUS_ACTIVITY").exists()
    assert api.post("/api/auth/refresh", {"refresh_token": first}, format="json").status_code == 401
    assert SecurityEvent.objects.filter(event_type="SUSPICIOUS_ACTIVITY").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["alg_none", "wrong_key", "altered_payload", "expired_genuine", "non_ascii"])
def test_a_forged_or_expired_websocket_token_closes_with_4001_and_is_recorded(viewer_user, kind):
    from rest_framework_simplejwt.tokens import AccessToken

    from jutsu.routing import websocket_application

    token = FORGERIES[kind](str(AccessToken.for_user(viewer_user)))

    async def closed_with() -> int | None:
        communicator = WebsocketCommunicator(websocket_application(), f"/ws/?token={token}")
        connected, code = await communicator.connect(timeout=3)
        if not connected:
            return code
        output = await communicator.receive_output(timeout=3)
        return output.get("code") if output["type"] == "websocket.close" else None

    with _present(kind):
        assert async_to_sync(closed_with)() == 4001
    assert _token_invalid_events() == 1


# --- hostile JSON: one policy for every body, WebSocket message and JSON form field ----------------

DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(
    "method, path, who",
    [
        ("post", "/api/auth/login", "anonymous"),
        ("post", "/api/auth/refresh", "anonymous"),
        ("post", "/api/passkey/authenticate", "anonymous"),
        ("put", "/api/config", "admin"),
        ("put", "/api/users/me/password", "viewer"),
    ],
)
def test_deeply_nested_json_is_a_400_naming_the_problem(api, admin_user, viewer_user, body, method, path, who):
    if who != "anonymous":
        api.force_authenticate(admin_user if who == "admin" else viewer_user)
    response = getattr(api, method)(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "JSON nested too deeply (limit 64 levels of arrays/objects)",
        "code": "json_too_deep",
    }


def test_the_nesting_limit_is_64_levels(api):
    from jutsu.json_limits import JsonRejected, json_parse

    assert json_parse("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)
    assert json_parse(json.dumps({"a": [{"b": [1] * 3}] * 2}))["a"][1]["b"] == [1, 1, 1]
    with pytest.raises(JsonRejected):
        json_parse("[" * 65 + "]" * 65)
    with pytest.raises(JsonRejected):
        json_parse('{"a": [' + '{"b": [' * 32 + "]}" * 32 + "]}")


@pytest.mark.parametrize(
    "body, code",
    [
        ("{", "json_invalid"),
        ('{"username": NaN, "password": "x"}', "json_invalid"),
        ("\xff\xfe not utf-8".encode("latin-1"), "json_invalid"),
        ("", "invalid_parameter"),  # no body: the fields are missing
    ],
)
def test_malformed_json_is_a_400_naming_the_problem(api, body, code):
    response = api.post("/api/auth/login", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and response.json()["detail"]


def test_a_non_json_body_is_refused_with_415(api):
    response = api.post("/api/auth/login", "username=a&password=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


def test_a_json_form_field_refuses_deep_nesting_as_a_form_error():
    from django import forms

    from jutsu.json_limits import JSONFormField

    with pytest.raises(forms.ValidationError, match="nested too deeply"):
        JSONFormField().clean(DEEP_ARRAY)
    assert JSONFormField().clean('{"id": "x"}') == {"id": "x"}


@pytest.mark.django_db(transaction=True)
def test_websocket_messages_are_read_under_the_same_policy(viewer_user, settings):
    from jutsu.consumers import DashboardConsumer

    settings.WEBSOCKET_MAX_MESSAGE_SIZE = 1024 * 1024

    async def scenario():
        communicator = WebsocketCommunicator(DashboardConsumer.as_asgi(), "/ws/")
        communicator.scope["user"] = viewer_user
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from())["type"] == "hello"
        replies = []
        for message in (DEEP_ARRAY, DEEP_OBJECT, "{not json"):
            await communicator.send_to(text_data=message)
            replies.append(await communicator.receive_json_from(timeout=3))
        await communicator.send_to(bytes_data=b'{"type": "ping"}')
        replies.append(await communicator.receive_json_from(timeout=3))
        settings.WEBSOCKET_MAX_MESSAGE_SIZE = 100
        await communicator.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 200}))
        closed = await communicator.receive_output(timeout=3)
        return replies, closed

    replies, closed = async_to_sync(scenario)()
    assert [r.get("code") for r in replies[:3]] == ["json_too_deep", "json_too_deep", "json_invalid"]
    assert all(r["type"] == "error" and r["detail"] for r in replies[:3])
    assert replies[3] == {"type": "pong"}  # the socket stayed usable
    assert closed == {"type": "websocket.close", "code": 1009}


# --- no response names a server directory -----------------------------------------------------------


def _server_dirs() -> list[str]:
    return [str(settings.BASE_DIR), str(settings.JUTSU_CONFIG_DIR), str(settings.JUTSU_DATA_DIR)]


def test_a_viewer_reads_the_configuration_with_sources_but_without_server_paths(viewer_api):
    response = viewer_api.get("/api/config")
    assert response.status_code == 200
    body = response.content.decode()
    assert not any(directory in body for directory in _server_dirs())
    parameters = {p["name"]: p for p in response.json()["parameters"]}
    assert parameters["security.lockout_threshold"]["source"] == "yaml"
    assert parameters["security.lockout_threshold"]["origin"] == "config.yaml"
    assert {p["source"] for p in parameters.values()} <= {"yaml", "env", "override", "default"}
    assert all(not str(p["origin"]).startswith("/") for p in parameters.values())


def test_a_configuration_error_names_the_file_but_not_where_it_lives(viewer_api, settings, tmp_path):
    (tmp_path / "config.yaml").write_text("security:\n  lockout_treshold: 3\n")
    settings.JUTSU_CONFIG_DIR = tmp_path
    response = viewer_api.get("/api/config")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("config.yaml: security.lockout_treshold: unknown key"), detail
    assert str(tmp_path) not in response.content.decode()


def test_job_messages_with_server_paths_reach_viewers_without_them(viewer_api):
    from jutsu.models import JobRun, JobStatus

    missing = f"{settings.BASE_DIR}/var/market/QQQ.csv"
    JobRun.objects.create(
        job_name="market_data_refresh",
        run_number=1,
        status=JobStatus.FAILED,
        as_of=timezone.now(),
        trading_date=timezone.now().date(),
        message=f"failed: DataMissing: {missing}: file not found",
        error=f"FileNotFoundError: [Errno 2] No such file or directory: '{missing}'",
    )
    response = viewer_api.get("/api/jobs/runs")
    assert response.status_code == 200
    run = response.json()["results"][0]
    assert run["message"] == "failed: DataMissing: var/market/QQQ.csv: file not found"
    assert str(settings.BASE_DIR) not in response.content.decode()


def test_pages_and_websocket_messages_name_no_server_directory(rf, settings):
    from django.http import HttpResponse

    from jutsu.consumers import JsonWebsocketConsumer
    from jutsu.middleware import ServerPathRedactionMiddleware

    page = f"<p>cannot read {settings.JUTSU_DATA_DIR}/broker/token.json</p>"
    middleware = ServerPathRedactionMiddleware(lambda request: HttpResponse(page))
    assert middleware(rf.get("/")).content == b"<p>cannot read broker/token.json</p>"
    event = {"type": "error", "message": f"{settings.BASE_DIR}/config/strategies/v3_5b.yaml: bad"}
    text = async_to_sync(JsonWebsocketConsumer.encode_json)(event)
    assert json.loads(text)["message"] == "strategies/v3_5b.yaml: bad"  # relative to the config directory


# --- log lines cannot be forged from request data -------------------------------------------------


class _Capture:
    """The production console handler (filters + formatter) writing into a string, on the root logger."""

    def __init__(self, formatter) -> None:
        import io
        import logging

        from accounts.logging import MaskAuthPathsFilter
        from jutsu.logging import MaskSecretsFilter

        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(MaskSecretsFilter())
        self.handler.addFilter(MaskAuthPathsFilter())
        self.handler.setFormatter(formatter)
        self.handler.setLevel(logging.DEBUG)

    def __enter__(self):
        import logging

        logging.getLogger().addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        import logging

        logging.getLogger().removeHandler(self.handler)
        return False

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()


FORGERY_HEADERS = {
    "HTTP_USER_AGENT": "curl/8\r\nFORGED-AGENT-LINE \x1b[2J",
    "HTTP_X_FORWARDED_FOR": "1.2.3.4\nFORGED-HEADER-LINE",
}


def _forging_requests(api, viewer_user):
    api.force_authenticate(viewer_user)
    api.get("/api/strategies/%0aFORGED-LOG-LINE%20x", **FORGERY_HEADERS)
    api.get("/%0d%0aFORGED-LOG-LINE2?q=%0aFORGED-QUERY-LINE", **FORGERY_HEADERS)
    api.force_authenticate(None)
    api.post(
        "/api/auth/login",
        {"username": "nobody\nFORGED-USERNAME-LINE\u2028x", "password": "x"},
        format="json",
        **FORGERY_HEADERS,
    )


def test_the_text_log_keeps_request_data_on_its_own_line(api, viewer_user):
    from jutsu.logging import TextFormatter

    with _Capture(TextFormatter()) as capture:
        _forging_requests(api, viewer_user)
    lines = capture.lines
    assert lines, "nothing was logged"
    assert not [line for line in lines if "FORGED" in line.split(" | ")[0]], lines
    assert all(line[:4].isdigit() for line in lines), lines  # every line is the start of a record
    access = [line for line in lines if "| jutsu.access |" in line]
    assert any("GET /api/strategies/\\nFORGED-LOG-LINE x 404" in line for line in access), access
    assert any("GET /\\r\\nFORGED-LOG-LINE2 404" in line for line in access), access
    assert not any("\x1b" in line or "\u2028" in line for line in lines)


def test_the_json_log_stays_one_valid_object_per_line_with_escaped_values(api, viewer_user):
    from jutsu.logging import JsonFormatter

    with _Capture(JsonFormatter()) as capture:
        _forging_requests(api, viewer_user)
    records = [json.loads(line) for line in capture.lines]  # every line is a whole JSON object
    access = [r["message"] for r in records if r["module"] == "jutsu.access"]
    assert any(m.startswith("GET /api/strategies/\\nFORGED-LOG-LINE x 404") for m in access), access
    failure = next(r for r in records if r["module"] == "jutsu.security" and "LOGIN_FAILURE" in r["message"])
    assert json.loads(failure["message"])["username"] == "nobody\nFORGED-USERNAME-LINE\u2028x"  # escaped in JSON


def test_a_traceback_continues_its_record_on_indented_lines(viewer_user):
    import logging

    from jutsu.logging import TextFormatter

    with _Capture(TextFormatter()) as capture:
        try:
            raise ValueError("bad path /x\nFORGED-TRACEBACK-LINE\rmore")
        except ValueError:
            logging.getLogger("tests.attacks").exception("request %s failed", "/api/\nFORGED-MESSAGE-LINE")
    first, *rest = capture.lines
    assert first.endswith("| tests.attacks | ERROR | request /api/\\nFORGED-MESSAGE-LINE failed")
    assert rest and all(line.startswith("  ") for line in rest), rest
    assert any("FORGED-TRACEBACK-LINE" in line for line in rest)
