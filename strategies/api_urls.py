"""API endpoints of the strategies app."""

from __future__ import annotations

app_name = "strategies-api"
urlpatterns: list = []
