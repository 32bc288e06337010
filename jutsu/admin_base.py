"""Admin building blocks shared by every app."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable and filterable; nobody can add, change or delete rows (audit logs, computed tables)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def percent_column(field: str, description: str | None = None, *, digits: int = 2, fraction: bool = True):
    """A changelist column showing ``field`` as a percentage (``fraction``: 0.0123 → ``1.23%``; otherwise the
    value already is a percent), sortable by the field; ``—`` when empty."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj) -> str:
        value = getattr(obj, field)
        if value is None:
            return "—"
        return f"{float(value) * (100 if fraction else 1):,.{digits}f}%"

    column.__name__ = f"{field}_pct" if not field.endswith("_pct") else field
    return column


def ratio_column(field: str, description: str | None = None, *, digits: int = 2):
    """A changelist column showing a float ratio (Sharpe …) rounded, sortable; ``—`` when empty."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj) -> str:
        value = getattr(obj, field)
        return "—" if value is None else f"{float(value):,.{digits}f}"

    column.__name__ = f"{field}_display"
    return column
