DROP INDEX `jobs_kind_state`;--> statement-breakpoint
CREATE INDEX `jobs_kind_due` ON `jobs` (`kind`,`state`,`run_at`);--> statement-breakpoint
CREATE INDEX `jobs_key_due` ON `jobs` (`state`,`concurrency_key`,`kind`,`run_at`);