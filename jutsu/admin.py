"""Django admin for the platform's cross-cutting records.

Overrides are created and deactivated only through ``jutsu.services.config_overrides`` so every
change is validated and audited; their full change history is on each override's History page.
Security events, job runs and heartbeats are read-only. The site is branded "Jutsu Labs"; scheduled jobs
show their crontab in words ("weekdays at 16:05 New York").
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from simple_history.admin import SimpleHistoryAdmin

from jutsu.admin_base import ReadOnlyAdmin
from jutsu.conf.parameters import PARAMETERS
from jutsu.errors import JutsuError
from jutsu.models import ConfigOverride, JobLock, JobRun, SecurityEvent, ServiceHeartbeat
from jutsu.scheduler.describe import crontab_describe
from jutsu.services.config_overrides import (
    config_override_check,
    config_override_deactivate,
    config_override_set,
)


class ConfigOverrideForm(forms.ModelForm):
    parameter = forms.CharField(
        max_length=100,
        help_text="A runtime parameter (e.g. trading.execution_time) or strategy.<parameter> with a strategy id.",
    )

    class Meta:
        model = ConfigOverride
        fields = ["parameter", "strategy_id", "value", "reason", "expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "parameter" in self.fields:  # absent when the admin shows an existing override (read-only)
            names = ", ".join(n for n, p in sorted(PARAMETERS.items()) if p.overridable)
            self.fields["parameter"].help_text += f" Runtime parameters: {names}."

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not self.errors:
            try:
                config_override_check(
                    parameter=data["parameter"],
                    value=data.get("value", ""),
                    reason=data.get("reason", ""),
                    strategy_id=data.get("strategy_id") or "",
                    expires_at=data.get("expires_at"),
                )
            except JutsuError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(ConfigOverride)
class ConfigOverrideAdmin(SimpleHistoryAdmin):
    form = ConfigOverrideForm
    list_display = ("parameter", "strategy_id", "value", "is_active", "expires_at", "created_by", "created_at")
    list_filter = ("is_active", "parameter", "strategy_id")
    search_fields = ("parameter", "reason", "value")
    actions = ["deactivate_selected"]
    history_list_display = ["value", "is_active", "expires_at", "deactivation_reason"]
    change_list_template = "admin/jutsu/configoverride/change_list.html"

    def changelist_view(self, request, extra_context=None):
        """The override list, with every runtime parameter's effective value and where it comes from."""
        from jutsu.conf.resolver import resolve_all

        effective = [e.as_dict() for e in resolve_all()]
        return super().changelist_view(request, {**(extra_context or {}), "effective": effective})

    def has_change_permission(self, request, obj=None):
        # An existing override is never edited in place (a new value is a new override, so its history stays
        # whole): it opens as a read-only view page, whose History link shows every change.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the row and its history stay

    def save_model(self, request, obj, form, change):
        # only ever an addition: existing overrides are read-only (see has_change_permission)
        created = config_override_set(
            parameter=form.cleaned_data["parameter"],
            value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
            strategy_id=form.cleaned_data.get("strategy_id") or "",
            expires_at=form.cleaned_data.get("expires_at"),
            user=request.user,
            request=request,
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description="Deactivate selected overrides")
    def deactivate_selected(self, request, queryset):
        count = 0
        for override in queryset.filter(is_active=True):
            config_override_deactivate(
                override_id=override.pk, user=request.user, reason="deactivated in admin", request=request
            )
            count += 1
        self.message_user(request, f"{count} override(s) deactivated")


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event_type", "severity", "username", "client_ip")
    list_filter = ("severity", "event_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("username", "client_ip", "user_agent")
    date_hierarchy = "created_at"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = (
        "job_name",
        "run_number",
        "status",
        "trigger",
        "trading_date",
        "started_at",
        "finished_at",
        "message",
    )
    list_filter = ("status", "job_name", "trigger")
    search_fields = ("job_name", "message", "error")
    date_hierarchy = "started_at"


@admin.register(ServiceHeartbeat)
class ServiceHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("service", "hostname", "pid", "started_at", "last_seen_at")


@admin.register(JobLock)
class JobLockAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner", "acquired_at", "expires_at")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # an operator may clear a lock left by a dead process


# ── Branding and readable schedules ─────────────────────────────────────────────────────────────────

admin.site.site_header = "Jutsu Labs administration"
admin.site.site_title = "Jutsu Labs admin"
admin.site.index_title = "Jutsu Labs"
admin.site.site_url = "/"


def _crontab_text(crontab) -> str:
    return crontab_describe(
        minute=crontab.minute,
        hour=crontab.hour,
        day_of_week=crontab.day_of_week,
        day_of_month=crontab.day_of_month,
        month_of_year=crontab.month_of_year,
        tz=str(crontab.timezone),
    )


admin.site.unregister(PeriodicTask)
admin.site.unregister(CrontabSchedule)


@admin.register(PeriodicTask)
class ScheduledJobAdmin(beat_admin.PeriodicTaskAdmin):
    """django-celery-beat's periodic tasks, their schedule in words ("weekdays at 16:05 New York")."""

    list_display = ("name", "enabled", "schedule", "queue", "last_run_at", "description")
    list_select_related = ("crontab", "interval", "solar", "clocked")

    @admin.display(description="schedule")
    def schedule(self, task) -> str:
        if task.crontab_id:
            return _crontab_text(task.crontab)
        return str(task.schedule)


@admin.register(CrontabSchedule)
class ReadableCrontabAdmin(beat_admin.CrontabScheduleAdmin):
    list_display = ("readable", "__str__")

    @admin.display(description="schedule")
    def readable(self, crontab) -> str:
        return _crontab_text(crontab)
