"""``DataVersion``: the token that cached daily-performance reads are keyed by.

An installation that already has daily performance gets its token here, so its reads are cached from the start;
a new one gets it with its first written row.
"""

import uuid

from django.db import migrations, models
from django.utils import timezone


def token_for_existing_rows(apps, schema_editor):
    if apps.get_model("performance", "DailyPerformance").objects.exists():
        apps.get_model("performance", "DataVersion").objects.create(
            name="daily_performance", token=uuid.uuid4().hex, changed_at=timezone.now()
        )


class Migration(migrations.Migration):
    dependencies = [("performance", "0002_returns_from_initial_capital")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=40, unique=True)),
                ("token", models.CharField(max_length=32)),
                ("changed_at", models.DateTimeField()),
            ],
            options={"verbose_name": "data version"},
        ),
        migrations.RunPython(token_for_existing_rows, migrations.RunPython.noop),
    ]
