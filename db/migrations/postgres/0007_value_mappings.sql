CREATE TABLE "value_mappings" (
	"field" text NOT NULL,
	"value" text NOT NULL,
	"meaning" text NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "value_mappings_field_value_pk" PRIMARY KEY("field","value")
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "held_for" text;