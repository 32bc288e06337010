"""The performance page names the first day of an "all" range as a date, not "first day"."""

from __future__ import annotations

import pytest

from tests.performance.pages_seed import daily_performance_create, page_html, strategy_create

pytestmark = pytest.mark.django_db


def test_the_all_range_shows_its_real_start_date(viewer_client):
    strategy_create("v3_5b", display_name="Hierarchical Adaptive v3.5b", primary=True)
    daily_performance_create("v3_5b", days=60)
    html = page_html(viewer_client.get("/performance/?range=all"))
    assert "2019-01-02 →" in html and "first day →" not in html
