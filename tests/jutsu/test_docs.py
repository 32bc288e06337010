"""The OpenAPI schema and the interactive docs work offline under the content security policy."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_docs_page_loads_its_assets_from_our_static_files_without_inline_script(viewer_client):
    response = viewer_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources, html[:500]
    assert all(src.startswith("/static/") or src.startswith("/api/docs/") for src in sources), sources
    assert re.search(r"<script>(?!\s*</script>)", html) is None  # no inline script (CSP: script-src 'self')
    assert "cdn" not in html.lower()


def test_docs_script_and_schema_are_served(viewer_client):
    script = viewer_client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    schema = viewer_client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v2/daily-performance" in schema.content


def test_swagger_ui_bundle_is_served_from_static(viewer_client):
    html = viewer_client.get("/api/docs/").content.decode()
    bundle = next(src for src in re.findall(r'src="([^"]+)"', html) if "swagger-ui-bundle" in src)
    assert viewer_client.get(bundle).status_code == 200
