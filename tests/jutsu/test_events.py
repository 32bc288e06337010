"""Live events: the /ws/ consumer, publish → receive, the outbox relay for the embedded mode."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from jutsu import events
from jutsu.models import LiveEventOutbox
from jutsu.routing import websocket_urlpatterns

APP = URLRouter(websocket_urlpatterns)


def connect(user):
    communicator = WebsocketCommunicator(APP, "/ws/")
    communicator.scope["user"] = user
    return communicator


def test_event_payload_is_versioned_with_type_and_timestamp():
    event = events.build_event("data_refresh", {"refresh_type": "manual"})
    assert event["type"] == "data_refresh" and event["version"] == 1 and event["timestamp"]
    with pytest.raises(ValueError):
        events.build_event("no_such_event", {})


@pytest.mark.django_db(transaction=True)
def test_published_event_reaches_an_open_dashboard(viewer_user, monkeypatch):
    monkeypatch.setattr(events, "_web_process", True)

    async def scenario():
        communicator = connect(viewer_user)
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_json_from())["type"] == "hello"
        from channels.db import database_sync_to_async

        await database_sync_to_async(events.publish)(
            "regime_change", {"strategy_id": "v3_5b", "old_cell": 3, "new_cell": 1}
        )
        message = await communicator.receive_json_from(timeout=3)
        assert message["type"] == "regime_change" and message["new_cell"] == 1
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_event_published_inside_a_transaction_waits_for_commit(monkeypatch):
    from django.db import transaction

    sent = []
    monkeypatch.setattr(events, "send_now", lambda event, group: sent.append(event["type"]))
    with transaction.atomic():
        events.publish("data_refresh", {"refresh_type": "manual"})
        assert sent == []
    assert sent == ["data_refresh"]


@pytest.mark.django_db(transaction=True)
def test_other_processes_write_to_the_outbox_and_the_web_process_relays(viewer_user, monkeypatch):
    layer = get_channel_layer()
    if not isinstance(layer, events.InMemoryChannelLayer):
        pytest.skip("the outbox is only used with the in-memory channel layer")
    monkeypatch.setattr(events, "_web_process", False)
    monkeypatch.setattr(events, "_relay_task", None)

    async def scenario():
        from channels.db import database_sync_to_async

        communicator = connect(viewer_user)
        assert (await communicator.connect())[0]
        await communicator.receive_json_from()
        await database_sync_to_async(events.publish)("job_status", {"job": "eod_finalization", "status": "success"})
        assert await database_sync_to_async(LiveEventOutbox.objects.count)() == 1
        message = await communicator.receive_json_from(timeout=5)
        assert message["type"] == "job_status" and message["job"] == "eod_finalization"
        await communicator.disconnect()
        events._relay_task.cancel()

    async_to_sync(scenario)()


# --- the real WebSocket stack (origin check + authentication + routes) -----------------------------


def real_stack_connect(path: str, headers=()):
    from jutsu.routing import websocket_application

    return WebsocketCommunicator(websocket_application(), path, headers=list(headers))


async def closed_with(communicator) -> int | None:
    connected, code = await communicator.connect()
    if not connected:
        return code
    output = await communicator.receive_output(timeout=3)
    return output.get("code") if output["type"] == "websocket.close" else None


@pytest.mark.django_db(transaction=True)
def test_unauthenticated_socket_is_accepted_then_closed_with_4001_so_clients_can_read_the_code():
    async def scenario():
        communicator = real_stack_connect("/ws/", [(b"origin", b"http://localhost:8000"), (b"host", b"localhost")])
        assert await closed_with(communicator) == 4001
        invalid = real_stack_connect("/ws/?token=not.a.jwt")
        assert await closed_with(invalid) == 4001

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_token_clients_need_no_origin_but_cookie_sockets_must_come_from_an_allowed_host(viewer_user):
    from rest_framework_simplejwt.tokens import AccessToken

    token = str(AccessToken.for_user(viewer_user))

    async def scenario():
        api_client = real_stack_connect(f"/ws/?token={token}")
        connected, _ = await api_client.connect()
        assert connected
        assert (await api_client.receive_json_from())["type"] == "hello"
        await api_client.disconnect()
        foreign = real_stack_connect("/ws/", [(b"origin", b"https://evil.example"), (b"host", b"localhost")])
        connected, _ = await foreign.connect()
        assert connected is False

    async_to_sync(scenario)()
