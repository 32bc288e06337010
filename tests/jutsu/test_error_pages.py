"""Error pages are pages of the site: its frame, navigation and the environment's name; the banner of demo data."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from trading.models import DataMetadata

pytestmark = pytest.mark.django_db


def test_get_on_a_post_only_page_is_the_sites_405_page_with_navigation(admin_client):
    response = admin_client.get("/accounts/2fa/backup-codes/")
    html = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "<nav" in html and "405 · Method not allowed" in html and 'href="/backtests/"' in html
    assert "Jutsu Labs · development" in html


def test_404_keeps_the_signed_in_navigation_and_names_the_environment(viewer_client):
    html = viewer_client.get("/no-such-page/").content.decode()
    assert 'class="mainnav"' in html and "viewer" in html and "Sign out" in html
    assert "404 · Page not found" in html and "Jutsu Labs · development" in html


def test_an_anonymous_visitor_gets_navigation_to_sign_in(client):
    response = client.get("/static/no-such-file.js")
    html = response.content.decode()
    assert response.status_code == 404 and "<nav" in html and 'href="/accounts/login/"' in html


def test_api_errors_stay_json(admin_api):
    response = admin_api.get("/api/no-such-endpoint")
    assert response.status_code == 404 and response.json() == {"detail": "Resource not found"}


@pytest.mark.parametrize("status", [400, 403, 500])
def test_every_handler_renders_the_framed_page(rf, admin_user, status):
    from jutsu import views

    request = rf.get("/somewhere/")
    request.user = admin_user
    handler = {400: views.bad_request, 403: views.permission_denied, 500: views.server_error}[status]
    response = handler(request) if status == 500 else handler(request, Exception())
    html = response.content.decode()
    assert response.status_code == status and 'class="mainnav"' in html and "Jutsu Labs · development" in html


@pytest.fixture
def synthetic_series():
    cache.clear()
    for symbol in ("QQQ", "TQQQ"):
        DataMetadata.objects.create(symbol=symbol, timeframe="1D", last_source="synthetic")
    yield
    cache.clear()


def test_pages_over_synthetic_prices_carry_the_demo_data_banner(
    viewer_client, synthetic_series, django_assert_max_num_queries
):
    html = viewer_client.get("/backtests/").content.decode()
    assert "Demo data — synthetic prices." in html and "QQQ, TQQQ are generated" in html
    with django_assert_max_num_queries(50) as first:
        viewer_client.get("/backtests/")
    # one small query a page, whatever the page lists (it follows an import or a removal at once)
    assert len([q for q in first.captured_queries if "datametadata" in q["sql"].lower()]) == 1


def test_real_data_shows_no_banner(viewer_client):
    cache.clear()
    DataMetadata.objects.create(symbol="QQQ", timeframe="1D", last_source="csv")
    assert "synthetic prices" not in viewer_client.get("/backtests/").content.decode()
    cache.clear()
