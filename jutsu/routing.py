"""WebSocket routes. The permission-matrix test enumerates this list."""

from django.urls import path

from jutsu.consumers import DashboardConsumer

websocket_urlpatterns = [
    path("ws/", DashboardConsumer.as_asgi(), name="ws-dashboard"),
]
