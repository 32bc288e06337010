"""WebSocket routes. The permission-matrix test enumerates this list."""

from channels.routing import URLRouter
from django.urls import path

from jutsu.consumers import DashboardConsumer
from jutsu.ws_auth import websocket_auth

websocket_urlpatterns = [
    path("ws/", DashboardConsumer.as_asgi(), name="ws-dashboard"),
]


def websocket_application():
    """The WebSocket side of the ASGI application: origin check, authentication, routes."""
    return websocket_auth(URLRouter(websocket_urlpatterns))
