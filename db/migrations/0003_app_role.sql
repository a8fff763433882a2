-- Least privilege: the role the application runs as (docs/audit.md). It may add to the audit trail and
-- read it, never change or remove it; the append-only triggers of 0001 still stop even the owner.
-- Roles are cluster-wide: the guard makes this safe to run in every database of a cluster, on PGlite,
-- and by two migrators at once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interlock_app') THEN
    CREATE ROLE interlock_app NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created meanwhile by a concurrent migration of another database
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO interlock_app;
--> statement-breakpoint
REVOKE ALL ON audit_events, audit_checkpoints FROM interlock_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_events, audit_checkpoints TO interlock_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON actions, api_tokens, idempotency_keys, http_executions, slack_messages TO interlock_app;
--> statement-breakpoint
-- Tables later migrations create get the ordinary rights; a new append-only table must REVOKE UPDATE, DELETE.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO interlock_app;
