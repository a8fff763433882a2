CREATE TABLE "teams_cards" (
	"action_id" text PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"activity_id" text NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
