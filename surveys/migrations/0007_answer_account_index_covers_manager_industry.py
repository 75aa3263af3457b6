# The answers of some accounts counted from the index alone (surveys.selectors.dashboard_figures).
# About 5 s at 10M answers, the answers locked meanwhile (bench/RESULTS.md).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0041_equipment_signal_fewer_indexes"),
        ("surveys", "0006_answer_months"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="answer",
            name="answer_account_idx",
        ),
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                fields=["account", "metric", "submitted_at"],
                include=("score", "scale_max", "survey", "manager", "industry"),
                name="answer_account_idx",
            ),
        ),
    ]
