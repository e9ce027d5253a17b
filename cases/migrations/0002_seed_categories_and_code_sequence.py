from django.db import migrations


def seed(apps, schema_editor):
    from cases.reference import seed_categories, seed_deadline_rules

    seed_categories(apps.get_model("cases", "Category"))
    seed_deadline_rules(apps.get_model("cases", "DeadlineRule"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        # Problem numbers come from one sequence, so concurrent registrations and bulk imports
        # never hand out the same number.
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS cases_problem_code_seq START 1",
            "DROP SEQUENCE IF EXISTS cases_problem_code_seq",
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
