from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [
        # Item numbers (督办编号) come from one sequence, safe under concurrent listing.
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS supervision_item_code_seq START 1",
            "DROP SEQUENCE IF EXISTS supervision_item_code_seq",
        ),
    ]
