from django.db import migrations


def seed(apps, schema_editor):
    from portal.workdays.services import calendar_seed_from_package

    calendar_seed_from_package(
        year_model=apps.get_model("workdays", "CalendarYear"),
        day_model=apps.get_model("workdays", "DayArrangement"),
    )


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
