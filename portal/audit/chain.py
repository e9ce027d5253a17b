"""The chain's constants. The hash itself is computed in PostgreSQL (``audit_chain_hash``,
migration 0003): SHA-256 over a canonical JSON array of every field of the event."""

GENESIS = "0" * 64
# pg_advisory_xact_lock key that serializes appends (the trigger takes it too): "AUDI"
CHAIN_LOCK_KEY = 0x41554449
