"""Pages of the strategies app."""

from __future__ import annotations

app_name = "strategies"
urlpatterns: list = []
