CREATE TABLE "actions" (
	"id" text PRIMARY KEY NOT NULL,
	"action" text NOT NULL,
	"resource" text NOT NULL,
	"environment" text NOT NULL,
	"requester" text NOT NULL,
	"on_behalf_of" text,
	"status" text NOT NULL,
	"risk" text,
	"approver_groups" text[] DEFAULT '{}' NOT NULL,
	"approver_principals" text[] DEFAULT '{}' NOT NULL,
	"snapshot" jsonb NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"principal_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"label" text,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp(3) with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "audit_checkpoints" (
	"id" bigint PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"at" timestamp(3) with time zone NOT NULL,
	"prev_checkpoint_id" bigint,
	"prev_signature" text,
	"key_id" text NOT NULL,
	"signature" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"action_id" text,
	"type" text NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp(3) with time zone NOT NULL,
	"data" jsonb NOT NULL,
	"policy_version" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "http_executions" (
	"action_id" text PRIMARY KEY NOT NULL,
	"http_status" integer NOT NULL,
	"output" text,
	"attempts" integer NOT NULL,
	"completed_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal_id" text NOT NULL,
	"key" text NOT NULL,
	"body_hash" text NOT NULL,
	"action_id" text NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_principal_id_key_pk" PRIMARY KEY("principal_id","key")
);
--> statement-breakpoint
CREATE TABLE "slack_messages" (
	"action_id" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "actions_created_idx" ON "actions" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "actions_requester_idx" ON "actions" USING btree ("requester","created_at");--> statement-breakpoint
CREATE INDEX "actions_status_idx" ON "actions" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_type_idx" ON "audit_events" USING btree ("type","seq");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor","seq");--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");