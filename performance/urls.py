"""Pages of the performance app (mounted at ``/``)."""

from __future__ import annotations

from django.urls import path

from performance import views

app_name = "performance"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("performance/", views.performance, name="performance"),
]
