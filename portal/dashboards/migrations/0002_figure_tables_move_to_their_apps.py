"""The figure tables now belong to the apps whose records they count (cases.ProblemFigure,
complaints.ComplaintFigure): only Django's state moves, the tables and their rows stay
(``db_table`` keeps their names). The snapshot's foreign key to a category becomes the facts
each figure set fixed at refresh time (recomputed by the next refresh, every few minutes)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_figures_and_snapshot"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ComplaintFigure"),
                migrations.DeleteModel(name="ProblemFigure"),
            ],
            database_operations=[],
        ),
        migrations.RemoveField(model_name="snapshot", name="conflict_class"),
        migrations.AddField(
            model_name="snapshot",
            name="facts",
            field=models.JSONField(blank=True, default=dict, verbose_name="统计口径参数"),
        ),
    ]
