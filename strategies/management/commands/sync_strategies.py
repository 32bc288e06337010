"""``manage.py sync_strategies``: validate the YAML registry and mirror it into the Strategy table."""

from django.core.management.base import BaseCommand, CommandError

from jutsu.errors import JutsuError
from strategies.services.registry import strategies_sync


class Command(BaseCommand):
    help = "Validate config/strategies_registry.yaml and config/strategies/*.yaml; upsert Strategy rows."

    def handle(self, *args, **options):
        try:
            summary = strategies_sync()
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary.line())
        for label, ids in (("created", summary.created), ("updated", summary.updated), ("retired", summary.retired)):
            if ids:
                self.stdout.write(f"  {label}: {', '.join(ids)}")
