CREATE TABLE "change_request_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"change_request_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"reviewer_ref" text NOT NULL,
	"reviewer_user_id" text,
	"reviewer_name" text NOT NULL,
	"decision" text NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment_key" text NOT NULL,
	"title" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"change" jsonb NOT NULL,
	"flag_key" text,
	"state" text DEFAULT 'open' NOT NULL,
	"round" integer DEFAULT 1 NOT NULL,
	"author_ref" text NOT NULL,
	"author_user_id" text,
	"author_name" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"applied_at" timestamp with time zone,
	"applied_by" text,
	"result_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "freeze_windows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment_key" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"recurrence" text DEFAULT 'none' NOT NULL,
	"mode" text DEFAULT 'refuse' NOT NULL,
	"created_by" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "environment_roles" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "protected" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "required_approvals" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "allow_self_apply" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "environment_roles" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "change_request_reviews" ADD CONSTRAINT "change_request_reviews_change_request_id_change_requests_id_fk" FOREIGN KEY ("change_request_id") REFERENCES "public"."change_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "freeze_windows" ADD CONSTRAINT "freeze_windows_environment_key_environments_key_fk" FOREIGN KEY ("environment_key") REFERENCES "public"."environments"("key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_request_reviews_request" ON "change_request_reviews" USING btree ("change_request_id","created_at");--> statement-breakpoint
CREATE INDEX "change_requests_env_state" ON "change_requests" USING btree ("environment_key","state");--> statement-breakpoint
CREATE INDEX "change_requests_flag" ON "change_requests" USING btree ("flag_key","state");--> statement-breakpoint
CREATE INDEX "freeze_windows_env" ON "freeze_windows" USING btree ("environment_key");--> statement-breakpoint
-- Data: which environment is production used to be guessed from "prod" in its key or name; that
-- guess becomes the stored setting once, and admins change it from here on.
UPDATE "environments" SET "protected" = true WHERE "key" ILIKE '%prod%' OR "name" ILIKE '%prod%';
