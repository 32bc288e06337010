"""Pages of the trading app."""

from __future__ import annotations

from django.urls import path

from trading import views

app_name = "trading"
urlpatterns: list = [
    path("trades/", views.trades, name="trades"),
    path("regime/", views.regime, name="regime"),
    path("control/", views.control, name="control"),
    path("control/verify/", views.control_verify, name="control_verify"),
]
