-- An audit row stores its event once: `canonical`, the RFC 8785 text the chain hashes after `prevHash` and a
-- newline. The fields queries filter on (id, action_id, type, actor, at) become columns Postgres generates
-- from that text, and `hash` one it computes from `prev_hash` and the text, so no column can say one thing
-- while the hashed text says another: a generated column cannot be written or updated on its own, by anyone,
-- triggers or not. The verifier then reads only `seq` and the hashed bytes (`prev_hash`, a newline, the
-- text), hashes them itself and checks each against the next event's `prev_hash` (docs/audit.md, "Storage").
--
-- Existing rows get their canonical text rebuilt from their columns, in exactly the form the writer hashed:
-- the members in JCS order, strings escaped as JSON.stringify escapes them (which to_json does), the time
-- with milliseconds in UTC, and `data` as stored, which since 0002 is the canonical text itself (0002 landed
-- with 0000, so no trail holds rows from before it). A row whose rebuilt text does not hash to its stored hash
-- stops the upgrade, below.

-- `at` as an instant. A text-to-timestamptz cast is only STABLE because it may depend on TimeZone and
-- DateStyle; the text here is always ISO 8601 with a `Z` (an exact instant whatever those settings say), so
-- the function is immutable in fact, which generated columns require.
CREATE OR REPLACE FUNCTION interlock_audit_instant(t text) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT t::timestamptz $$;
--> statement-breakpoint
-- SHA-256 of prevHash, a newline and the canonical text, in hex: the chain hash (audit/chain.ts linkHash).
-- convert_to is STABLE only because it depends on the database's encoding, which never changes.
CREATE OR REPLACE FUNCTION interlock_audit_link_hash(prev_hash text, canonical json) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT encode(sha256(convert_to(prev_hash || E'\n' || canonical::text, 'UTF8')), 'hex') $$;
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "canonical" json;
--> statement-breakpoint
ALTER TABLE "audit_events" DISABLE TRIGGER "audit_events_no_update_delete";
--> statement-breakpoint
UPDATE "audit_events" SET "canonical" = (
  '{"actionId":' || coalesce(to_json("action_id")::text, 'null') ||
  ',"actor":' || to_json("actor")::text ||
  ',"at":"' || to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
  '","data":' || "data"::text ||
  ',"id":' || to_json("id")::text ||
  ',"policyVersion":' || coalesce(to_json("policy_version")::text, 'null') ||
  ',"seq":' || "seq"::text ||
  ',"type":' || to_json("type")::text || '}'
)::json;
--> statement-breakpoint
ALTER TABLE "audit_events" ENABLE TRIGGER "audit_events_no_update_delete";
--> statement-breakpoint
-- A row whose rebuilt text does not hash to its stored hash was changed behind the application. Converting it
-- would recompute its hash from the changed text, and for the newest event nothing else remembers the old one:
-- evidence would be lost. So the upgrade stops (the whole migration is one transaction: nothing changes), unless
-- the operator, having kept the old version's `interlock audit verify` report, sets
-- interlock.accept_changed_audit_events = on for the migrating session (PGOPTIONS or ALTER DATABASE ... SET).
DO $$
DECLARE
  unmatched bigint;
  first_seq bigint;
BEGIN
  SELECT count(*), min(seq) INTO unmatched, first_seq FROM audit_events
    WHERE interlock_audit_link_hash(prev_hash, canonical) <> hash;
  IF unmatched > 0 AND coalesce(current_setting('interlock.accept_changed_audit_events', true), '') <> 'on' THEN
    RAISE EXCEPTION 'interlock: % audit event(s), the first at seq %, no longer match their stored hash: they were changed behind the application', unmatched, first_seq
      USING HINT = 'Nothing was migrated. Run `interlock audit verify` and `interlock audit export` with the version you have and keep the report; then, to upgrade anyway, migrate with interlock.accept_changed_audit_events=on (the events stay as they are and verification goes on reporting them).';
  ELSIF unmatched > 0 THEN
    RAISE WARNING 'interlock: % audit event(s), the first at seq %, no longer match their stored hash; kept as they are (interlock.accept_changed_audit_events=on)', unmatched, first_seq;
  END IF;
END
$$;
--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "canonical" SET NOT NULL;
--> statement-breakpoint
-- The old append function names columns that are now generated; 0005's writer sends the hashed text instead.
DROP FUNCTION IF EXISTS interlock_append_audit(jsonb, json, jsonb);
--> statement-breakpoint
-- One statement, so Postgres rewrites the table once for all the new columns, not once per column.
-- Dropping a column drops its indexes; they are made again below, on the generated columns.
-- `data` and `policy_version` are read from the text itself (`canonical -> 'data'`): stored twice, they would
-- double the row for nothing an index needs, and make every scan of the trail, verification's too, slower.
ALTER TABLE "audit_events"
  DROP COLUMN "hash",
  ADD COLUMN "hash" text GENERATED ALWAYS AS (interlock_audit_link_hash(prev_hash, canonical)) STORED NOT NULL,
  DROP COLUMN "id",
  ADD COLUMN "id" text GENERATED ALWAYS AS ((canonical ->> 'id')) STORED NOT NULL,
  DROP COLUMN "action_id",
  ADD COLUMN "action_id" text GENERATED ALWAYS AS ((canonical ->> 'actionId')) STORED,
  DROP COLUMN "type",
  ADD COLUMN "type" text GENERATED ALWAYS AS ((canonical ->> 'type')) STORED NOT NULL,
  DROP COLUMN "actor",
  ADD COLUMN "actor" text GENERATED ALWAYS AS ((canonical ->> 'actor')) STORED NOT NULL,
  DROP COLUMN "at",
  ADD COLUMN "at" timestamp(3) with time zone GENERATED ALWAYS AS (interlock_audit_instant(canonical ->> 'at')) STORED NOT NULL,
  DROP COLUMN "data",
  DROP COLUMN "policy_version";
--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_id_unique" UNIQUE("id");
--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action_id","seq");
--> statement-breakpoint
CREATE INDEX "audit_events_type_idx" ON "audit_events" USING btree ("type","seq");
--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor","seq");
--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");
--> statement-breakpoint
-- One round trip per batch of audit events (audit/writer.ts), as in 0004, now with arrays: a batch arrives as
-- one array per column, which Postgres unpacks with no JSON parsing, and only the hashed text is written.
-- Under the chain's advisory lock it checks that the head is the one the batch was linked to and that no
-- event id is already stored, then inserts the events and the action projections in the caller's statement,
-- so they commit together and the lock is released only after the commit. Otherwise it changes nothing and
-- returns the real head and the ids already stored, for the writer to re-link. Postgres computes each hash
-- again (the generated column) and reads each id and seq from the text; should any differ from what the
-- writer sent, nothing is written and it says so.
-- SECURITY INVOKER (the default): it can do no more than the calling role may.
CREATE OR REPLACE FUNCTION interlock_append_audit(expected_seq bigint, expected_hash text, ids text[], seqs bigint[], canonicals text[], prev_hashes text[], hashes text[], projections jsonb) RETURNS json AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  stored text[];
  differing bigint;
  set_list text;
BEGIN
  PERFORM pg_advisory_xact_lock(7346001); -- audit/locks.ts CHAIN_LOCK_KEY
  -- Each statement of a volatile function reads a fresh snapshot: it sees what the last holder committed.
  -- The head's hash from its bytes, not from the generated column: what the verifier computes too.
  SELECT seq, interlock_audit_link_hash(prev_hash, canonical) INTO head_seq, head_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
  SELECT array_agg(e.id) INTO stored FROM audit_events e WHERE e.id = ANY (ids);
  IF coalesce(head_seq, 0) <> expected_seq OR coalesce(head_hash, repeat('0', 64)) <> expected_hash OR stored IS NOT NULL THEN
    RETURN json_build_object('ok', false, 'seq', coalesce(head_seq, 0), 'hash', coalesce(head_hash, repeat('0', 64)), 'stored', coalesce(stored, '{}'));
  END IF;
  WITH written AS (
    INSERT INTO audit_events (seq, canonical, prev_hash)
      SELECT s, c::json, p FROM unnest(seqs, canonicals, prev_hashes) AS r(s, c, p)
      RETURNING seq, id, hash, canonical ->> 'seq' AS text_seq
  )
  SELECT count(*) INTO differing FROM written JOIN unnest(seqs, ids, hashes) AS w(s, i, h) ON written.seq = w.s
    WHERE written.hash <> w.h OR written.id <> w.i OR written.text_seq IS DISTINCT FROM w.s::text;
  IF differing > 0 THEN
    RAISE EXCEPTION 'interlock: % audit event(s) in this batch do not say what the writer sent (hash, id or seq differs); nothing was written', differing;
  END IF;
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
