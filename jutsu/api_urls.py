"""Platform API endpoints: configuration and the job scheduler."""

from __future__ import annotations

from django.urls import path

from jutsu import apis

app_name = "jutsu-api"
urlpatterns = [
    path("config", apis.ConfigApi.as_view(), name="config"),
    path("config/reset/<str:parameter>", apis.ConfigResetApi.as_view(), name="config-reset"),
    path("control/scheduler", apis.SchedulerApi.as_view(), name="scheduler"),
    path("control/scheduler/enable", apis.SchedulerToggleApi.as_view(enabled=True), name="scheduler-enable"),
    path("control/scheduler/disable", apis.SchedulerToggleApi.as_view(enabled=False), name="scheduler-disable"),
    path("control/scheduler/trigger", apis.SchedulerTriggerApi.as_view(), name="scheduler-trigger"),
    path("jobs/runs", apis.JobRunsApi.as_view(), name="job-runs"),
]
