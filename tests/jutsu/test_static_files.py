"""Static files: fingerprinted, gzip + brotli compressed and cached for years after ``collectstatic``.

The suite itself runs without ``collectstatic`` (no manifest: plain names from the source folders); the
first test collects the project's own assets into a temporary ``STATIC_ROOT`` and serves them like the demo.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

from jutsu.conf.app_settings import BASE_DIR

THIRTY_DAYS = 30 * 86400
SOURCE = BASE_DIR / "static" / "jutsu" / "charts.js"


def _max_age(response) -> int:
    match = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
    assert match, response.headers.get("Cache-Control")
    return int(match.group(1))


def _body(response) -> bytes:
    return b"".join(iter(response))  # servestatic answers with an async file iterator


@pytest.fixture
def collected(tmp_path, settings):
    """``collectstatic`` of the project's own and vendored assets (not the apps': faster), quick brotli."""
    settings.STATIC_ROOT = str(tmp_path / "staticfiles")
    settings.STATICFILES_FINDERS = [
        "django.contrib.staticfiles.finders.FileSystemFinder",
        "jutsu.staticfinders.VendoredAssetsFinder",
    ]
    settings.STATIC_BROTLI_QUALITY = 6  # fast; at 4 brotli lost to gzip on small files (servestatic sends the smaller)
    call_command("collectstatic", interactive=False, verbosity=0)
    return Path(settings.STATIC_ROOT)


def test_collectstatic_writes_fingerprinted_files_with_gzip_and_brotli_copies(collected):
    hashed = list((collected / "jutsu").glob("charts.*.js"))
    plotly = list((collected / "vendor").glob("plotly.min.*.js"))
    assert len(plotly) == 1 and re.fullmatch(r"plotly\.min\.[0-9a-f]{12}\.js", plotly[0].name), plotly
    assert Path(f"{plotly[0]}.br").stat().st_size < 2_000_000 and Path(f"{plotly[0]}.gz").stat().st_size < 2_000_000
    assert len(hashed) == 1 and re.fullmatch(r"charts\.[0-9a-f]{12}\.js", hashed[0].name), hashed
    assert hashed[0].read_bytes() == SOURCE.read_bytes()
    assert gzip.decompress(Path(f"{hashed[0]}.gz").read_bytes()) == SOURCE.read_bytes()
    assert brotli.decompress(Path(f"{hashed[0]}.br").read_bytes()) == SOURCE.read_bytes()
    assert not (collected / "jutsu" / "charts.js").exists()  # only the hashed copies are kept
    assert staticfiles_storage.url("jutsu/charts.js") == f"/static/jutsu/{hashed[0].name}"


def test_a_fingerprinted_asset_is_served_compressed_and_cached_for_years(collected):
    url = staticfiles_storage.url("jutsu/charts.js")
    client = Client()  # a new handler: its servestatic middleware reads the new manifest

    response = client.get(url, HTTP_ACCEPT_ENCODING="br, gzip")
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(_body(response)) == SOURCE.read_bytes()
    assert _max_age(response) >= 365 * 86400 and "immutable" in response.headers["Cache-Control"]

    gzipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(_body(gzipped)) == SOURCE.read_bytes()


def test_pages_link_the_fingerprinted_assets_after_collectstatic(collected, viewer_user, password):
    client = Client()
    client.login(username=viewer_user.username, password=password)
    html = client.get("/performance/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/jutsu/[^"]+\.(?:js|css))"', html)
    assert assets and all(re.search(r"\.[0-9a-f]{12}\.(js|css)$", asset) for asset in assets), assets
    for asset in assets:
        assert _max_age(client.get(asset, HTTP_ACCEPT_ENCODING="br, gzip")) >= THIRTY_DAYS


def test_before_collectstatic_pages_use_the_source_names_served_from_the_source_folders(client):
    assert staticfiles_storage.url("jutsu/charts.js") == "/static/jutsu/charts.js"
    response = client.get("/static/jutsu/charts.js")
    assert response.status_code == 200 and _body(response) == SOURCE.read_bytes()


def test_the_chart_library_is_vendored_not_fetched_from_a_cdn(client):
    response = client.get(staticfiles_storage.url("vendor/plotly.min.js"), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert b"plotly" in _body(response)[:2000].lower()
