"""WSGI entry point (management tooling; the platform itself is served over ASGI by daphne)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jutsu.settings")
application = get_wsgi_application()
