DROP INDEX `jobs_due`;--> statement-breakpoint
DROP INDEX `jobs_lease`;--> statement-breakpoint
DROP INDEX `jobs_kind_due`;--> statement-breakpoint
DROP INDEX `jobs_key_due`;--> statement-breakpoint
CREATE INDEX `jobs_pending_kind_due` ON `jobs` (`kind`,`run_at`) WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX `jobs_pending_key_due` ON `jobs` (`concurrency_key`,`kind`,`run_at`) WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX `jobs_running_lease` ON `jobs` (`locked_until`) WHERE state = 'running';--> statement-breakpoint
CREATE INDEX `jobs_paused_key` ON `jobs` (`concurrency_key`) WHERE state = 'paused';--> statement-breakpoint
DROP INDEX `purchases_user`;