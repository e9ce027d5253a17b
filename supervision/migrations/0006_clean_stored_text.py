"""Text stored before the portal's rule for stored text (portal.core.text.clean_text):
line breaks become LF, characters it refuses (C0 controls but the tab, non-characters) are
removed. Irreversible by nature (what was removed was never visible); reversing is a no-op."""

from django.db import migrations

from portal.core.text import clean_stored_text_operation


class Migration(migrations.Migration):
    dependencies = [("supervision", "0005_seed_checklists")]

    operations = [clean_stored_text_operation("supervision")]
