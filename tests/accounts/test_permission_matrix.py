"""The permission matrix, proven for every URL pattern and WebSocket route of the project.

Endpoints are discovered by walking the URL resolver, so an endpoint added anywhere is covered
without touching this file, and one that declares no permission fails here. For each endpoint and
method: anonymous callers get 401 (API) or a redirect to the sign-in page (pages); a viewer gets
403 on everything outside the viewer's permissions; an admin is never refused. Unsafe methods are
only *sent* as anonymous and viewer (both are refused before any handler runs); for admins they are
checked against the declared permission, so the suite never starts engines or jobs.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.permissions import AUTHENTICATED, PUBLIC, required_permission, user_has_permission
from accounts.roles import ALL_PERMISSIONS, VIEWER_PERMISSIONS
from jutsu.routing import websocket_urlpatterns
from jutsu.ws_auth import websocket_auth
from tests.factories import TEST_PASSWORD, AdminFactory, UserFactory

# Route prefixes outside the matrix, each with the reason.
EXCLUDED = {
    "admin/": "Django admin: staff-only by Django; its sign-in is allauth's (secure_admin_login), tested in test_pages",
}
SAFE = ("GET",)
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Endpoint:
    route: str
    url: str
    kind: str  # "api" or "page"
    permissions: tuple[tuple[str, str | None], ...]  # (method, declared permission)

    def __str__(self) -> str:
        return f"/{self.route}"


def _walk(patterns, prefix: str = "", converters: dict | None = None):
    for entry in patterns:
        merged = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), merged)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, merged


def _sample_url(route: str, converters: dict) -> str:
    def sample(match: re.Match) -> str:
        converter = converters.get(match.group(2))
        if isinstance(converter, IntConverter):
            return "1"
        if isinstance(converter, UUIDConverter):
            return str(uuid.UUID(int=1))
        return "sample-" + "x" * 60

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sample, route)


def _declared(callback) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    view_class = getattr(callback, "cls", None)
    if isinstance(view_class, type) and issubclass(view_class, APIView):
        view = view_class(**getattr(callback, "initkwargs", {}))
        methods = [m.upper() for m in view_class.http_method_names if m not in ("options", "head", "trace")]
        methods = [m for m in methods if hasattr(view_class, m.lower())]
        return "api", tuple((m, required_permission(view, m)) for m in methods)
    page_class = getattr(callback, "view_class", None)
    permission = getattr(callback, "permission", None) or getattr(page_class, "permission", None)
    return "page", (("GET", permission), ("POST", permission))


def discover() -> list[Endpoint]:
    endpoints = []
    for route, pattern, converters in _walk(get_resolver().url_patterns):
        if any(route.startswith(prefix) for prefix in EXCLUDED):
            continue
        kind, permissions = _declared(pattern.callback)
        if route.startswith("api/"):
            kind = "api"
        endpoints.append(Endpoint(route, _sample_url(route, converters), kind, permissions))
    return endpoints


ENDPOINTS = discover()
CASES = [(e, m, p) for e in ENDPOINTS for m, p in e.permissions]


def _id(case) -> str:
    endpoint, method, _ = case
    return f"{method} {endpoint}"


def test_the_walk_finds_the_known_endpoints():
    routes = {e.route for e in ENDPOINTS}
    assert {"api/users", "api/auth/me", "api/status/health", "accounts/", "accounts/login/"} <= routes
    assert {"api/trades", "api/trades/stats", "api/trades/export", "api/trades/<int:trade_id>"} <= routes
    assert {"api/trades/execute", "api/status", "api/status/regime", "api/strategies/status"} <= routes
    assert {"api/strategies/primary/state", "api/strategies/<slug:strategy_id>/state"} <= routes
    assert {f"api/control/{name}" for name in ("state", "start", "stop", "restart", "mode", "flatten")} <= routes
    assert {"api/control/scheduler", "api/control/data-staleness", "api/control/data-refresh"} <= routes
    assert {"api/optimizations", "api/optimizations/<int:run_id>", "optimizations/", "optimizations/new/"} <= routes


def test_the_broker_endpoints_are_admin_only_except_their_status():
    declared = {(e.route, method): permission for e in ENDPOINTS for method, permission in e.permissions}
    assert declared[("api/schwab/status", "GET")] == "status:read"
    assert declared[("api/schwab/auth/status", "GET")] == "status:read"
    assert declared[("api/schwab/auth/initiate", "POST")] == "broker:manage"
    assert declared[("api/schwab/auth/callback", "POST")] == "broker:manage"
    assert declared[("api/schwab/token", "DELETE")] == "broker:manage"


def test_the_indicator_endpoints_are_read_by_viewers():
    declared = {(e.route, method): permission for e in ENDPOINTS for method, permission in e.permissions}
    for route in ("api/indicators", "api/indicators/history", "api/indicators/descriptions"):
        assert declared[(route, "GET")] == "indicators:read"
        assert "indicators:read" in VIEWER_PERMISSIONS


def test_every_endpoint_declares_a_known_permission_for_every_method():
    problems = []
    for endpoint, method, permission in CASES:
        if permission is None:
            problems.append(f"{method} {endpoint}: declares no permission")
        elif permission not in ALL_PERMISSIONS | {PUBLIC, AUTHENTICATED}:
            problems.append(f"{method} {endpoint}: unknown permission {permission!r}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def callers(db):
    """Anonymous, viewer and admin clients for both the API (JWT-less session) and pages."""
    viewer = UserFactory(username="matrix-viewer")
    admin = AdminFactory(username="matrix-admin")
    clients = {}
    for name, user in (("anonymous", None), ("viewer", viewer), ("admin", admin)):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        clients[name] = client
    clients["users"] = {"viewer": viewer, "admin": admin}
    return clients


def _send(client: Client, method: str, url: str):
    kwargs = {"content_type": "application/json", "data": "{}"} if method in UNSAFE else {}
    return getattr(client, method.lower())(url, HTTP_ACCEPT="*/*", **kwargs)


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302) and response["Location"].startswith(settings.LOGIN_URL)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_anonymous_callers_are_sent_to_sign_in(case, callers):
    endpoint, method, permission = case
    assert permission is not None, f"{method} {endpoint} declares no permission"
    if permission == PUBLIC:
        return
    response = _send(callers["anonymous"], method, endpoint.url)
    if endpoint.kind == "api":
        assert response.status_code == 401, f"anonymous {method} {endpoint} gave {response.status_code}"
        if response["Content-Type"].startswith("application/json"):
            assert response.json()["detail"]
    else:
        assert _is_login_redirect(response) or response.status_code == 405, (
            f"anonymous {method} {endpoint} gave {response.status_code}, not a redirect to sign-in"
        )


def _code(response) -> str | None:
    try:
        return response.json().get("code")
    except ValueError:
        return None


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_viewers_are_refused_every_admin_action(case, callers):
    endpoint, method, permission = case
    assert permission is not None, f"{method} {endpoint} declares no permission"
    if permission == PUBLIC:
        return
    allowed = permission == AUTHENTICATED or permission in VIEWER_PERMISSIONS
    response = _send(callers["viewer"], method, endpoint.url)
    if allowed:
        # a factor change asks for the password after the permission check let the caller in: not a refusal
        step_up = response.status_code == 403 and _code(response) == "reauthentication_required"
        assert step_up or (response.status_code not in (401, 403) and not _is_login_redirect(response)), (
            f"viewer {method} {endpoint} ({permission}) was refused with {response.status_code}"
        )
    else:
        assert response.status_code in (403, 405), (
            f"viewer {method} {endpoint} ({permission}) gave {response.status_code}"
        )
        if response.status_code == 405:
            assert endpoint.kind == "page"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_admins_are_never_refused(case, callers):
    endpoint, method, permission = case
    assert permission is not None, f"{method} {endpoint} declares no permission"
    admin = callers["users"]["admin"]
    assert user_has_permission(admin, permission)
    if method in SAFE and permission != PUBLIC:
        response = _send(callers["admin"], method, endpoint.url)
        assert response.status_code not in (401, 403) and not _is_login_redirect(response), (
            f"admin {method} {endpoint} was refused with {response.status_code}"
        )


def test_an_api_view_without_a_declaration_is_unreachable_even_for_admins(admin_user, rf):
    from rest_framework.response import Response

    class Undeclared(APIView):
        def get(self, request):
            return Response({"ok": True})

    request = rf.get("/api/undeclared")
    request.user = admin_user
    from rest_framework.test import force_authenticate

    force_authenticate(request, user=admin_user)
    assert Undeclared.as_view()(request).status_code == 403


def test_jwt_callers_get_the_same_answers(db):
    viewer = UserFactory(username="jwt-viewer")
    client = APIClient()
    token = client.post("/api/auth/login", {"username": viewer.username, "password": TEST_PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    assert client.get("/api/users").status_code == 403
    assert client.post("/api/users/invite", {"role": "admin"}, format="json").status_code == 403
    assert client.get("/api/auth/me").status_code == 200


# --- WebSocket routes -------------------------------------------------------------------------------

WS_ROUTES = [(str(route.pattern), route.callback) for route in websocket_urlpatterns]


def _consumer_permission(callback) -> str | None:
    return getattr(getattr(callback, "consumer_class", None), "permission", None)


def test_every_websocket_route_declares_a_permission():
    missing = [route for route, callback in WS_ROUTES if _consumer_permission(callback) is None]
    assert not missing, f"WebSocket routes without a permission: {missing}"


def _ws_connect(path: str) -> tuple[bool, int | None]:
    """(connected, close code). Refusals are accepted then closed, so the client can read our code."""
    application = websocket_auth(URLRouter(websocket_urlpatterns))
    # A browser-like socket (cookie auth) must come from an allowed origin; token sockets need none.
    headers = [] if "token=" in path else [(b"origin", b"http://localhost:8000"), (b"host", b"localhost")]

    async def scenario():
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect(timeout=3)
        if not connected:
            return connected, code
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return False, output.get("code")
        await communicator.disconnect()
        return True, None

    return async_to_sync(scenario)()


def _access_token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route, callback", WS_ROUTES, ids=[r for r, _ in WS_ROUTES])
def test_websocket_matrix(route, callback):
    permission = _consumer_permission(callback)
    path = "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)
    viewer = UserFactory(username="ws-viewer")
    admin = AdminFactory(username="ws-admin")

    assert _ws_connect(path) == (False, 4001), "anonymous socket must be closed with 4001"
    assert _ws_connect(f"{path}?token=not.a.jwt") == (False, 4001), "an invalid token must be closed with 4001"

    connected, code = _ws_connect(f"{path}?token={_access_token(viewer)}")
    if permission in VIEWER_PERMISSIONS or permission == AUTHENTICATED:
        assert connected, f"viewer refused on {route} ({code})"
    else:
        assert not connected and code == 4003

    assert _ws_connect(f"{path}?token={_access_token(admin)}")[0], f"admin refused on {route}"
