"""The dashboards' summary table of this app moves here from the ground floor: state only, the
table (``db_table``) and its rows stay where they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_figure_tables_move_to_their_apps"),
        ("cases", "0005_problem_figure_table_from_dashboards"),
        ("complaints", "0002_tracking_sequence_and_defaults"),
        ("regions", "0002_load_henan_regions_and_domains"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ComplaintFigure",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("dim", models.CharField(max_length=8)),
                        ("month", models.DateField(null=True)),
                        ("received", models.PositiveIntegerField(db_default=0, default=0)),
                        ("complaints", models.PositiveIntegerField(db_default=0, default=0)),
                        ("consultations", models.PositiveIntegerField(db_default=0, default=0)),
                        ("suggestions", models.PositiveIntegerField(db_default=0, default=0)),
                        ("praise", models.PositiveIntegerField(db_default=0, default=0)),
                        ("not_ours", models.PositiveIntegerField(db_default=0, default=0)),
                        ("escalated", models.PositiveIntegerField(db_default=0, default=0)),
                        ("closed", models.PositiveIntegerField(db_default=0, default=0)),
                        ("closed_on_time", models.PositiveIntegerField(db_default=0, default=0)),
                        ("called_back", models.PositiveIntegerField(db_default=0, default=0)),
                        ("satisfied", models.PositiveIntegerField(db_default=0, default=0)),
                        ("open", models.PositiveIntegerField(db_default=0, default=0)),
                        ("overdue", models.PositiveIntegerField(db_default=0, default=0)),
                        ("conflict", models.PositiveIntegerField(db_default=0, default=0)),
                        (
                            "category",
                            models.ForeignKey(
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="cases.category",
                            ),
                        ),
                        (
                            "region",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="regions.region",
                            ),
                        ),
                        (
                            "unit",
                            models.ForeignKey(
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="regions.unit",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "dashboards_complaintfigure",
                        "indexes": [
                            models.Index(fields=["dim", "region"], name="dash_complaint_dim_region_idx"),
                            models.Index(fields=["unit", "dim"], name="dash_complaint_unit_dim_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
