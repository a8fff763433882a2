-- One round trip per batch of audit events (audit/writer.ts). The writer links a batch to the head it
-- believes current; under the chain's advisory lock this function checks that head and that no event
-- id is already stored, then inserts the events and the action projections, all in the caller's
-- statement, so they commit together and the lock is released only after the commit. Otherwise it
-- changes nothing and returns the real head and the ids already stored, for the writer to re-link.
-- `events` is json, not jsonb, so each event's `data` keeps the exact canonical text the writer hashed.
-- SECURITY INVOKER (the default): it can do no more than the calling role may.
CREATE OR REPLACE FUNCTION interlock_append_audit(expected jsonb, events json, projections jsonb) RETURNS json AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  stored text[];
  set_list text;
BEGIN
  PERFORM pg_advisory_xact_lock(7346001); -- audit/locks.ts CHAIN_LOCK_KEY
  -- Each statement of a volatile function reads a fresh snapshot: it sees what the last holder committed.
  SELECT seq, hash INTO head_seq, head_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
  SELECT array_agg(e.id) INTO stored FROM audit_events e
    WHERE e.id IN (SELECT jsonb_array_elements_text(expected -> 'ids'));
  IF coalesce(head_seq, 0) <> (expected ->> 'seq')::bigint
     OR coalesce(head_hash, repeat('0', 64)) <> expected ->> 'hash'
     OR stored IS NOT NULL THEN
    RETURN json_build_object('ok', false, 'seq', coalesce(head_seq, 0), 'hash', coalesce(head_hash, repeat('0', 64)), 'stored', coalesce(stored, '{}'));
  END IF;
  INSERT INTO audit_events (seq, id, action_id, type, actor, at, data, policy_version, prev_hash, hash)
    SELECT r.seq, r.id, r.action_id, r.type, r.actor, r.at, r.data, r.policy_version, r.prev_hash, r.hash
    FROM json_to_recordset(events) AS r(seq bigint, id text, action_id text, type text, actor text, at timestamptz, data json, policy_version text, prev_hash text, hash text);
  IF jsonb_array_length(projections) > 0 THEN
    -- Every column but the key and the creation time, read from the catalog so new columns need no edit here.
    SELECT string_agg(format('%I = excluded.%I', attname, attname), ', ') INTO set_list
      FROM pg_attribute WHERE attrelid = 'actions'::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('id', 'created_at');
    EXECUTE format('INSERT INTO actions SELECT * FROM jsonb_populate_recordset(NULL::actions, $1) ON CONFLICT (id) DO UPDATE SET %s WHERE actions.version < excluded.version', set_list)
      USING projections;
  END IF;
  RETURN json_build_object('ok', true);
END;
$$ LANGUAGE plpgsql
-- Plan each statement for the table as it is now: a plan cached while the table was small (a sequential
-- scan) would otherwise be reused as it grows, making every append slower than the last.
SET plan_cache_mode = force_custom_plan;
