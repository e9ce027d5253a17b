"""The default conditions of the workflow's moves (§6), one row per move, check and severity;
an administrator tunes them in the admin (办理条件). Re-runnable: existing rows are kept."""

from django.db import migrations

SEVERITIES = ("general", "serious", "grave")
SUBMIT = ("plan_measures", "plan_route_map", "plan_milestones", "milestones_settled", "progress_evidence")
VERIFY = ("verification_record", "verification_evidence")


def default_rows():
    for severity in SEVERITIES:
        for check in SUBMIT:
            yield "submit", check, severity, False
        for check in VERIFY:
            yield "verify_pass", check, severity, False
    # The highest severity, and key problems of any severity, are verified on site.
    yield "verify_pass", "verification_onsite", "grave", False
    yield "verify_pass", "verification_onsite", "", True


def seed(apps, schema_editor):
    Requirement = apps.get_model("cases", "TransitionRequirement")
    Requirement.objects.bulk_create(
        [
            Requirement(move=move, check_code=check, severity=severity, key_only=key_only)
            for move, check, severity, key_only in default_rows()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_rectification_requirements")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
