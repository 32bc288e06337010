"""Root URL configuration. Every app contributes ``urls.py`` (pages) and ``api_urls.py`` (API)."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from jutsu.status_api import HealthApi, ReadyApi

# The admin signs in through allauth (same lockout, rate limits and second factor as the pages).
admin.site.login = secure_admin_login(admin.site.login)


class _DocsPermission:
    permission = "status:read"


class SchemaApi(_DocsPermission, SpectacularAPIView):
    """OpenAPI schema (hidden when DISABLE_DOCS is on)."""


class DocsPage(_DocsPermission, SpectacularSwaggerSplitView):
    """Interactive API docs (hidden when DISABLE_DOCS is on); no inline script, assets from /static/."""


api_patterns = [
    path("status/health", HealthApi.as_view(), name="status-health"),
    path("status/ready", ReadyApi.as_view(), name="status-ready"),
    path("", include("jutsu.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("trading.api_urls")),  # before strategies: strategies/status, strategies/<id>/state
    path("", include("strategies.api_urls")),
    path("", include("performance.api_urls")),
]
if not settings.DISABLE_DOCS:
    api_patterns += [
        path("schema/", SchemaApi.as_view(), name="schema"),
        path("docs/", DocsPage.as_view(url_name="schema"), name="docs"),
    ]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("accounts.urls")),
    path("", include("strategies.urls")),
    path("", include("trading.urls")),
    path("", include("performance.urls")),
]

handler400 = "jutsu.views.bad_request"
handler403 = "jutsu.views.permission_denied"
handler404 = "jutsu.views.page_not_found"
handler500 = "jutsu.views.server_error"
