"""API endpoints of the accounts app."""

from __future__ import annotations

app_name = "accounts-api"
urlpatterns: list = []
