"""``manage.py sync_schedules``: make the beat schedule rows match the job registry."""

from django.core.management.base import BaseCommand

from jutsu.scheduler.schedules import schedule_overview, schedules_sync


class Command(BaseCommand):
    help = "Create/update django-celery-beat schedules for every registered job (New York time)."

    def handle(self, *args, **options):
        counts = schedules_sync()
        self.stdout.write(
            f"schedules: {counts['created']} created, {counts['updated']} updated, {counts['deleted']} deleted"
        )
        for row in schedule_overview():
            state = "enabled" if row["enabled"] else "disabled"
            self.stdout.write(f"  {row['job']:28} {state:8} next {row['next_run'] or '-'}")
