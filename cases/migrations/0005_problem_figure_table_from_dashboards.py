"""The dashboards' summary table of this app moves here from the ground floor: state only, the
table (``db_table``) and its rows stay where they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_figure_tables_move_to_their_apps"),
        ("cases", "0004_problem_created_index"),
        ("regions", "0002_load_henan_regions_and_domains"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProblemFigure",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("dim", models.CharField(max_length=8)),
                        ("month", models.DateField(null=True)),
                        ("measure", models.CharField(blank=True, db_default="", max_length=16)),
                        ("total", models.PositiveIntegerField(db_default=0, default=0)),
                        ("registered", models.PositiveIntegerField(db_default=0, default=0)),
                        ("assigned", models.PositiveIntegerField(db_default=0, default=0)),
                        ("rectifying", models.PositiveIntegerField(db_default=0, default=0)),
                        ("submitted", models.PositiveIntegerField(db_default=0, default=0)),
                        ("open", models.PositiveIntegerField(db_default=0, default=0)),
                        ("overdue", models.PositiveIntegerField(db_default=0, default=0)),
                        ("key_open", models.PositiveIntegerField(db_default=0, default=0)),
                        ("key_overdue", models.PositiveIntegerField(db_default=0, default=0)),
                        ("found", models.PositiveIntegerField(db_default=0, default=0)),
                        ("closed", models.PositiveIntegerField(db_default=0, default=0)),
                        ("closed_on_time", models.PositiveIntegerField(db_default=0, default=0)),
                        ("closed_month", models.PositiveIntegerField(db_default=0, default=0)),
                        ("opinion", models.PositiveIntegerField(db_default=0, default=0)),
                        ("conflict", models.PositiveIntegerField(db_default=0, default=0)),
                        ("accountable", models.PositiveIntegerField(db_default=0, default=0)),
                        ("duty_crime", models.PositiveIntegerField(db_default=0, default=0)),
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
                            "domain",
                            models.ForeignKey(
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="regions.enforcementdomain",
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
                        "db_table": "dashboards_problemfigure",
                        "indexes": [
                            models.Index(fields=["dim", "region"], name="dash_problem_dim_region_idx"),
                            models.Index(fields=["unit", "dim"], name="dash_problem_unit_dim_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
