"""Compute the hash chain in the database itself.

A BEFORE INSERT trigger takes the chain's advisory lock, numbers the event (seq), links it to
the previous event (prev_hash) and hashes it with ``audit_chain_hash`` — SHA-256 over a
canonical JSON array of every field. Whatever inserts (a service, a bulk path, COPY), the chain
is extended the same way, and ``verify_audit`` checks a million events in one SQL statement.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_chain_hash(e audit_auditevent) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(jsonb_build_array(
        e.seq,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        e.actor_id, e.actor_username, e.actor_roles, e.actor_region, e.action,
        e.object_type, e.object_id, e.changes, e.request_id, host(e.ip), e.outcome, e.prev_hash
    )::text, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION audit_chain_append() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- One writer at a time, until its transaction ends: concurrent writers never fork the chain.
    PERFORM pg_advisory_xact_lock(1096107081);
    -- The id is drawn again under the lock, so ids rise with seq even when writers raced.
    NEW.id := nextval(pg_get_serial_sequence('audit_auditevent', 'id'));
    SELECT seq, hash INTO last_seq, last_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.hash := audit_chain_hash(NEW);
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_chain BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_chain_append();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_chain ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_chain_append();
DROP FUNCTION IF EXISTS audit_chain_hash(audit_auditevent);
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
