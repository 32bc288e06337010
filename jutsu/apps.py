from django.apps import AppConfig


class JutsuConfig(AppConfig):
    name = "jutsu"
    label = "jutsu"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from jutsu.scheduler.schedules import schedules_resync
        from jutsu.services.config_overrides import register_change_listener

        # Every app declares its scheduled jobs in <app>/jobs.py.
        autodiscover_modules("jobs")
        # A schedule that follows a runtime parameter (the trading time) changes with its overrides.
        register_change_listener(schedules_resync)
