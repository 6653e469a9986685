ALTER TABLE "api_tokens" ADD COLUMN "owner_user_id" uuid;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "scope" text DEFAULT 'write' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ramp_plans" ADD COLUMN "author_ref" text;--> statement-breakpoint
ALTER TABLE "scheduled_changes" ADD COLUMN "author_ref" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "last_seen_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Existing tokens belong to the user at the root of their created_by chain (a token made by a token
-- belongs to that token's owner); a chain that ends nowhere leaves the owner null, and such a token is refused.
WITH RECURSIVE chain(id, ref, depth) AS (
  SELECT "id", "created_by", 0 FROM "api_tokens"
  UNION ALL
  SELECT chain.id, parent."created_by", chain.depth + 1
  FROM chain JOIN "api_tokens" parent ON chain.ref = 'token:' || parent."id"::text
  WHERE chain.depth < 20
)
UPDATE "api_tokens" t SET "owner_user_id" = u."id"
FROM chain JOIN "users" u ON chain.ref = 'user:' || u."id"::text
WHERE chain.id = t."id";--> statement-breakpoint
-- Pending work from before authors were recorded: its author is the user whose email it names.
UPDATE "scheduled_changes" s SET "author_ref" = 'user:' || u."id"::text FROM "users" u WHERE u."email" = s."created_by";--> statement-breakpoint
UPDATE "ramp_plans" r SET "author_ref" = 'user:' || u."id"::text FROM "users" u WHERE u."email" = r."created_by";
