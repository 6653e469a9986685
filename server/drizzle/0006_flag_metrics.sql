CREATE TABLE "flag_metrics" (
	"environment_key" text NOT NULL,
	"flag_key" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"metric" text NOT NULL,
	"enabled" boolean NOT NULL,
	"variant" text NOT NULL,
	"rule_id" text NOT NULL,
	"count" bigint NOT NULL,
	"sum" double precision NOT NULL,
	CONSTRAINT "flag_metrics_environment_key_flag_key_minute_metric_enabled_variant_rule_id_pk" PRIMARY KEY("environment_key","flag_key","minute","metric","enabled","variant","rule_id")
);
