from django.apps import AppConfig


def _strategy_parameter_lookup(name: str, strategy_id: str):
    # Imported on use: the registry pulls in the numeric core, which start-up does not need.
    from strategies.services.registry import strategy_parameter_lookup

    return strategy_parameter_lookup(name, strategy_id)


class StrategiesConfig(AppConfig):
    name = "strategies"

    def ready(self) -> None:
        from jutsu.services.config_overrides import register_parameter_lookup

        register_parameter_lookup(_strategy_parameter_lookup)
