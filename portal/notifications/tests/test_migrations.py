"""The ledger's change of key (migration 0003) keeps every alert and every delivery's link to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.notifications.models import Alert

BEFORE = [("notifications", "0002_delivery_indexes_where_read")]
AFTER = [("notifications", "0003_alert_packed_key")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "notifications"]


@pytest.mark.django_db(transaction=True)
def test_alerts_and_their_deliveries_survive_the_packed_key_both_ways(django_user_model):
    user = django_user_model.objects.create(username="ledger_owner", region_id="410122")
    latest = _latest()
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(  # a sweep not fanned out yet
                """
                INSERT INTO notifications_run (kind, started_at, outcome, alerts, deliveries, enqueued, detail, error)
                VALUES ('sweep', now(), 'ok', 3, 0, 0, '{}', '') RETURNING id
                """
            )
            (run,) = cursor.fetchone()
            cursor.execute(
                """
                INSERT INTO notifications_alert
                       (source, subject_id, kind, step, version, due_on, fire_on, created_at, run_id)
                VALUES ('problem', 7, 'due', 'due', 1, %(d)s, %(d)s, now(), %(run)s),
                       ('problem', 7, 'overdue', 'overdue', 1, %(d)s, %(d)s, now(), %(run)s),
                       ('complaint', 7, 'light', 'red', 3, %(d)s, %(d)s, now(), %(run)s)
                RETURNING id, source, step
                """,
                {"d": dt.date(2026, 6, 15), "run": run},
            )
            old = {(source, step): pk for pk, source, step in cursor.fetchall()}
            for (source, step), pk in old.items():
                cursor.execute(
                    """
                    INSERT INTO notifications_delivery (alert_id, is_digest, recipient_id, channel, status, address,
                           attempts, next_attempt_at, last_error, created_at, updated_at)
                    VALUES (%s, false, %s, 'inbox', 'sent', '', 1, now(), %s, now(), now())
                    """,
                    [pk, user.pk, f"{source}:{step}"],
                )

        _migrate(AFTER)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT d.last_error, a.id, s.source, s.kind, s.name, a.subject_id, a.version
                  FROM notifications_delivery d
                  JOIN notifications_alert a ON a.id = d.alert_id
                  JOIN notifications_alertstep s ON s.id = a.step_id
                """
            )
            rows = cursor.fetchall()
        assert len(rows) == 3
        for marker, pk, source, kind, step, subject, version in rows:
            assert marker == f"{source}:{step}"  # each delivery still points at its own alert
            assert pk == (subject << 28) | (_step_code(source, kind, step) << 16) | version
        # The two problem alerts of one subject and the complaint's of the same id stay apart.
        assert len({pk for _m, pk, *_rest in rows}) == 3
        # The run kept no block range: its fan-out reads the ledger by run id, and finds all three.
        from portal.notifications.sweep import alerts_fan_out

        assert alerts_fan_out(run_id=run, enqueue=False)["located_by"] == "run"
        with connection.cursor() as cursor:
            cursor.execute("UPDATE notifications_run SET fanned_at = NULL WHERE id = %s", [run])

        _migrate(BEFORE)  # and back: numbered again, deliveries following, new ids after them
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.last_error, a.source, a.step, a.id FROM notifications_delivery d "
                "JOIN notifications_alert a ON a.id = d.alert_id"
            )
            back = cursor.fetchall()
            assert sorted(marker for marker, *_rest in back) == sorted(f"{src}:{step}" for _m, src, step, _id in back)
            assert len(back) == 3 and max(pk for *_rest, pk in back) == 3
            # The run not fanned out finds its alerts by their id range again.
            cursor.execute("SELECT first_alert_id, last_alert_id FROM notifications_run WHERE id = %s", [run])
            assert cursor.fetchone() == (1, 3)
            cursor.execute(
                "INSERT INTO notifications_alert (source, subject_id, kind, step, version, fire_on, created_at) "
                "VALUES ('problem', 8, 'due', 'due', 1, current_date, now()) RETURNING id"
            )
            assert cursor.fetchone()[0] == 4
    finally:
        _migrate(latest)
    assert Alert.objects.count() == 4


def _step_code(source: str, kind: str, name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM notifications_alertstep WHERE source = %s AND kind = %s AND name = %s", [source, kind, name]
        )
        return cursor.fetchone()[0]
