from django.db import migrations

# DESIGN.md's defaults for the 12328 classes: accept within 1 working day, handle within 15, one
# extension of 7, yellow 1 working day before the deadline, callback the working day after.
DEFAULT_LIMITS = ["consultation", "complaint", "suggestion", "praise", "not_ours"]


def seed_defaults(apps, schema_editor):
    TimeLimit = apps.get_model("complaints", "TimeLimit")
    IntakeSettings = apps.get_model("complaints", "IntakeSettings")
    for kind in DEFAULT_LIMITS:
        TimeLimit.objects.get_or_create(kind=kind)
    IntakeSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [
        # Tracking numbers TS<year><8 digits>: one sequence, unique under concurrency.
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS complaints_tracking_seq",
            "DROP SEQUENCE IF EXISTS complaints_tracking_seq",
        ),
        migrations.RunPython(seed_defaults, migrations.RunPython.noop),
    ]
