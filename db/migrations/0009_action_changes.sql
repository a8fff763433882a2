CREATE TABLE "grant_claims" (
	"action_id" text PRIMARY KEY NOT NULL,
	"claim_id" text NOT NULL,
	"principal" text NOT NULL,
	"params_hash" text NOT NULL,
	"until" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
-- Every write of an action's projection (the audit step that changes its status, in the events' transaction)
-- NOTIFYs `interlock_action_changed` with the action's id, delivered at commit: each API process's waiters
-- (`/wait`, the MCP gateway) wake on the recorded change itself, without asking the workflow or polling.
CREATE OR REPLACE FUNCTION interlock_action_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('interlock_action_changed', NEW.id);
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS actions_changed_notify ON actions;
--> statement-breakpoint
CREATE TRIGGER actions_changed_notify AFTER INSERT OR UPDATE ON actions FOR EACH ROW EXECUTE FUNCTION interlock_action_changed();
