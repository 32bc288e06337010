"""Platform API endpoints: configuration and the job scheduler."""

from __future__ import annotations

app_name = "jutsu-api"
urlpatterns: list = []
