from django.db import migrations


def load(apps, schema_editor):
    from portal.regions.services import domains_seed, regions_load_henan

    regions_load_henan(region_model=apps.get_model("regions", "Region"))
    domains_seed(domain_model=apps.get_model("regions", "EnforcementDomain"))


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]

    # Idempotent upserts; reversing leaves the reference data in place.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
