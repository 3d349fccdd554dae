CREATE TABLE "anomaly_acknowledgements" (
	"anomaly_id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"acknowledged_by" text NOT NULL,
	"reason" text NOT NULL,
	"acknowledged_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "raw_requests" ADD COLUMN "dedupe_key" text;--> statement-breakpoint
ALTER TABLE "raw_requests" ADD COLUMN "rejection_group" text;--> statement-breakpoint
CREATE INDEX "raw_requests_rejection_group" ON "raw_requests" USING btree ("rejection_group");