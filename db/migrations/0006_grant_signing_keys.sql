CREATE TABLE "grant_signing_keys" (
	"name" text PRIMARY KEY NOT NULL,
	"kid" text NOT NULL,
	"version" integer NOT NULL,
	"changed_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
