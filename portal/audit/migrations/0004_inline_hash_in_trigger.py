"""Hash inside the trigger without a function call per row.

Calling the SQL function ``audit_chain_hash(NEW)`` from PL/pgSQL re-plans it for every row
(about a millisecond each: a million-row COPY took half an hour); the same expression written
in the trigger is planned once per session. The expression text is shared with the function
(``HASH_OF``), which ``verify_audit`` calls from plain SQL where the planner inlines it, so the
two can never disagree.
"""

from django.db import migrations

from portal.audit.migrations._chain_sql import HASH_OF

FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_chain_hash(e audit_auditevent) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT {HASH_OF.format(e="e")}
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
    NEW.id := nextval('audit_auditevent_id_seq');
    SELECT seq, hash INTO last_seq, last_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.hash := {HASH_OF.format(e="NEW")};
    RETURN NEW;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_in_database")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
