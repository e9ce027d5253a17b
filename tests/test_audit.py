import itertools
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, audit_record_many
from portal.audit.verify import verify_chain


def _record(n, actor=None):
    for i in range(n):
        audit_record(
            actor=actor,
            action="test.write",
            object_type="cases.problem",
            object_id=i,
            changes={"status": ["registered", "assigned"], "n": i},
        )


def _tamper(sql, params=()):
    """What an attacker with database superuser rights would do: disable the trigger."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update_delete")


@pytest.mark.django_db
def test_events_chain_and_verify(admin_user):
    _record(5, admin_user)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64 and len(events[0].hash) == 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    first = events[0]
    assert first.actor_username == "root" and first.actor_roles == "province_admin" and first.actor_region == "410000"
    assert first.changes == {"status": ["registered", "assigned"], "n": 0}
    result = verify_chain()
    assert result.ok and result.checked == 5


@pytest.mark.django_db
def test_one_insert_of_many_events_chains_them_in_order():
    audit_record_many([{"actor": None, "action": f"bulk.{i}"} for i in range(3)])
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.action for e in events] == ["bulk.0", "bulk.1", "bulk.2"]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_batch_written_by_copy_chains_like_an_insert(admin_user):
    from portal.audit.services import COPY_FROM

    audit_record(actor=admin_user, action="before", changes={"n": (0, 1)})
    n = COPY_FROM + 5
    written = audit_record_many(
        [{"actor": admin_user, "action": f"copy.{i}", "object_id": i, "changes": {"i": (None, i)}} for i in range(n)]
    )
    assert len(written) == n
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.action for e in events] == ["before", *(f"copy.{i}" for i in range(n))]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    assert events[-1].actor_id == admin_user.pk and events[-1].changes == {"i": [None, n - 1]}
    assert verify_chain().ok and verify_chain().checked == n + 1


@pytest.mark.django_db
def test_a_rolled_back_savepoint_leaves_no_gap_in_the_chain():
    _record(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(2)
        raise RuntimeError
    _record(1)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert verify_chain().ok


@pytest.mark.django_db
def test_update_delete_and_truncate_are_refused():
    _record(2)
    event = AuditEvent.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL portal.audit_maintenance = off")
        cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_verify_names_a_changed_event():
    _record(6)
    target = AuditEvent.objects.get(seq=4)
    _tamper("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [target.pk])
    result = verify_chain()
    assert not result.ok and result.seq == 4 and "changed" in result.message
    with pytest.raises(CommandError, match=r"seq 4 .* changed"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_names_a_deleted_event():
    _record(6)
    _tamper("DELETE FROM audit_auditevent WHERE seq = 3")
    result = verify_chain()
    assert not result.ok and result.seq == 4 and "deleted" in result.message and "seq 3..3" in result.message


@pytest.mark.django_db
def test_verify_names_an_inserted_event():
    _record(4)
    # A forged event slotted in as seq 3 with a correct hash of its own (computed by the
    # database's own function), by someone who can switch the chain trigger off: seq 3 repeats.
    real = AuditEvent.objects.filter(seq=2).values().get()
    forged = {**real, "seq": 3, "action": "forged", "prev_hash": real["hash"]}
    forged.pop("id")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DROP CONSTRAINT audit_auditevent_seq_key")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_chain")
    forged_event = AuditEvent.objects.bulk_create([AuditEvent(**forged)])[0]
    _tamper("UPDATE audit_auditevent e SET hash = audit_chain_hash(e) WHERE id = %s", [forged_event.pk])
    result = verify_chain()
    assert not result.ok and result.event_id == forged_event.pk and "inserted" in result.message


@pytest.mark.django_db
def test_verify_names_a_reordered_event():
    _record(4)
    a, b = AuditEvent.objects.get(seq=2), AuditEvent.objects.get(seq=3)
    # Swap the ids: every hash still matches its content, but the id order no longer follows seq.
    _tamper("UPDATE audit_auditevent SET id = -id WHERE id IN (%s, %s)", [a.pk, b.pk])
    _tamper("UPDATE audit_auditevent SET id = %s WHERE id = %s", [b.pk, -a.pk])
    _tamper("UPDATE audit_auditevent SET id = %s WHERE id = %s", [a.pk, -b.pk])
    result = verify_chain()
    assert not result.ok and result.seq == 3 and "reordered" in result.message


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    errors = []

    def writer():
        try:
            for _ in range(10):
                with transaction.atomic():
                    _record(1)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEvent.objects.count() == 40
    assert verify_chain().ok
