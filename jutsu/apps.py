from django.apps import AppConfig


class JutsuConfig(AppConfig):
    name = "jutsu"
    label = "jutsu"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Every app declares its scheduled jobs in <app>/jobs.py.
        autodiscover_modules("jobs")
