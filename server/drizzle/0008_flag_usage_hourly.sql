CREATE TABLE "flag_usage_hourly" (
	"flag_key" text NOT NULL,
	"environment_key" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"enabled" boolean NOT NULL,
	"variant" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "flag_usage_hourly_flag_key_environment_key_hour_enabled_variant_pk" PRIMARY KEY("flag_key","environment_key","hour","enabled","variant")
);
