/**
 * Advisory lock keys, shared by every process that writes to one database. Transaction-scoped
 * (`pg_advisory_xact_lock`), so a crashed holder can never leave one taken.
 */
/** Serialises appends to the event chain: one total order, no fork, no gap. Taken by `interlock_append_audit` (migration 0004). */
export const CHAIN_LOCK_KEY = 7_346_001;
/** Serialises checkpoints: each names the one before it, so two signers must not both extend the same one. */
export const CHECKPOINT_LOCK_KEY = 7_346_002;
