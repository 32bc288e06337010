from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    name = "strategies"

    def ready(self) -> None:
        from jutsu.services.config_overrides import register_parameter_lookup
        from strategies.services.registry import strategy_parameter_lookup

        register_parameter_lookup(strategy_parameter_lookup)
