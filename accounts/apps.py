from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and security"

    def ready(self) -> None:
        from accounts import checks, schema  # noqa: F401  (register the system checks and the OpenAPI scheme)
