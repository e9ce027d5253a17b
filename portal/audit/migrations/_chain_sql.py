"""The one SQL expression that hashes an audit event, shared by the trigger that writes the
chain and the function ``verify_audit`` recomputes it with (migrations 0004 and 0005)."""

HASH_OF = """encode(sha256(convert_to(jsonb_build_array(
        {e}.seq,
        to_char({e}.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        {e}.actor_id, {e}.actor_username, {e}.actor_roles, {e}.actor_region, {e}.action,
        {e}.object_type, {e}.object_id, {e}.changes, {e}.request_id, host({e}.ip), {e}.outcome, {e}.prev_hash
    )::text, 'UTF8')), 'hex')"""
