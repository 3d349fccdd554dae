DROP INDEX "jobs_due";--> statement-breakpoint
DROP INDEX "jobs_lease";--> statement-breakpoint
DROP INDEX "jobs_kind_due";--> statement-breakpoint
DROP INDEX "jobs_key_due";--> statement-breakpoint
DROP INDEX "purchases_user";--> statement-breakpoint
CREATE INDEX "jobs_pending_kind_due" ON "jobs" USING btree ("kind","run_at") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "jobs_pending_key_due" ON "jobs" USING btree ("concurrency_key","kind","run_at") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "jobs_running_lease" ON "jobs" USING btree ("locked_until") WHERE state = 'running';--> statement-breakpoint
CREATE INDEX "jobs_paused_key" ON "jobs" USING btree ("concurrency_key") WHERE state = 'paused';