"""OpenAPI: describe our audited JWT authentication like simplejwt's (a bearer JWT)."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class AuditedJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.AuditedJWTAuthentication"
    name = "jwtAuth"
