CREATE TABLE "context_attributes" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"sensitive" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flag_usage" (
	"flag_key" text NOT NULL,
	"environment_key" text NOT NULL,
	"yes" bigint DEFAULT 0 NOT NULL,
	"no" bigint DEFAULT 0 NOT NULL,
	"variants" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_evaluated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "flag_usage_flag_key_environment_key_pk" PRIMARY KEY("flag_key","environment_key")
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "client_salt" text DEFAULT md5(random()::text || clock_timestamp()::text) NOT NULL;