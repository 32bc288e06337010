"""Shared fixtures: three kinds of caller (anonymous, viewer, admin) for pages and the API."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, AdminFactory, UserFactory


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def viewer_user(db):
    return UserFactory(username="viewer")


@pytest.fixture
def admin_user(db):
    """Overrides pytest-django's fixture: a platform admin (role admin, staff, superuser)."""
    return AdminFactory(username="admin")


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()


@pytest.fixture
def viewer_api(viewer_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(viewer_user)
    return client


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def viewer_client(viewer_user) -> Client:
    client = Client()
    client.force_login(viewer_user)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:
    """Overrides pytest-django's fixture: a browser session logged in as a platform admin."""
    client = Client()
    client.force_login(admin_user)
    return client
