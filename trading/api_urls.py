"""API endpoints of the trading app."""

from __future__ import annotations

app_name = "trading-api"
urlpatterns: list = []
