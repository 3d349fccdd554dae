CREATE TABLE "revoked_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"expires_at" bigint NOT NULL,
	"revoked_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bins" ADD COLUMN "mask_secrets" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "raw_requests" ADD COLUMN "body_sha256" text;