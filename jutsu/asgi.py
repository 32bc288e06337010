"""ASGI entry point: Django over HTTP, the dashboard WebSocket over Channels (served by daphne)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jutsu.settings")
# Under ASGI each request's sync code may run on a new thread, and a persistent connection belongs to its
# thread: they would pile up until PostgreSQL refuses clients. The web process connects per request.
os.environ["JUTSU_ASGI_PROCESS"] = "1"

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from jutsu.asgi_limits import BodySizeLimit  # noqa: E402
from jutsu.events import mark_web_process  # noqa: E402
from jutsu.routing import websocket_application  # noqa: E402

mark_web_process()

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app),
        "websocket": websocket_application(),
    }
)
