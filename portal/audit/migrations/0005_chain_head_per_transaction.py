"""Find the chain's head once per transaction, not once per row.

A bulk insert (COPY of a million events in one transaction) looked the head up for every row
with a plan cached while the table was small — a sequential scan each time, quadratic overall.
Now the trigger keeps the head it just wrote in a transaction-local setting
(``portal.audit_head``, reset at commit or rollback and undone with a rolled-back savepoint)
and reads the table only for the first event of a transaction. The advisory lock, held to the
end of the transaction, guarantees nobody else appends in between.
"""

from django.db import migrations

from portal.audit.migrations._chain_sql import HASH_OF

FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_chain_append() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head text;
    last_seq bigint;
    last_hash text;
BEGIN
    -- One writer at a time, until its transaction ends: concurrent writers never fork the chain.
    PERFORM pg_advisory_xact_lock(1096107081);
    -- The id is drawn again under the lock, so ids rise with seq even when writers raced.
    NEW.id := nextval('audit_auditevent_id_seq');
    head := current_setting('portal.audit_head', true);
    IF coalesce(head, '') = '' THEN
        SELECT seq, hash INTO last_seq, last_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1;
    ELSE
        last_seq := split_part(head, ':', 1)::bigint;
        last_hash := split_part(head, ':', 2);
    END IF;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.hash := {HASH_OF.format(e="NEW")};
    PERFORM set_config('portal.audit_head', NEW.seq || ':' || NEW.hash, true);
    RETURN NEW;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_inline_hash_in_trigger")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
