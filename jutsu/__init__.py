"""Jutsu Labs: the Django project package (settings, configuration, jobs, live events, HTTP glue)."""

from jutsu.celery import app as celery_app

__all__ = ("celery_app",)
