DROP INDEX "raw_requests_bin";--> statement-breakpoint
DROP INDEX "raw_requests_rejection_group";--> statement-breakpoint
CREATE INDEX "raw_requests_bin" ON "raw_requests" USING btree ("bin_id","received_at") WHERE bin_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "raw_requests_rejection_group" ON "raw_requests" USING btree ("rejection_group") WHERE rejection_group IS NOT NULL;