"""Pages of the performance app."""

from __future__ import annotations

app_name = "performance"
urlpatterns: list = []
