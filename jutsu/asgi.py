"""ASGI entry point: Django over HTTP, the dashboard WebSocket over Channels (served by daphne)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jutsu.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from jutsu.events import mark_web_process  # noqa: E402
from jutsu.routing import websocket_urlpatterns  # noqa: E402
from jutsu.ws_auth import websocket_auth  # noqa: E402

mark_web_process()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(websocket_auth(URLRouter(websocket_urlpatterns))),
    }
)
