CREATE TABLE `anomalies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`anomaly_key` text NOT NULL,
	`code` text NOT NULL,
	`environment` text,
	`user_id` text,
	`product_id` text,
	`event_id` text,
	`raw_request_id` text,
	`details` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `anomalies_key` ON `anomalies` (`anomaly_key`);--> statement-breakpoint
CREATE INDEX `anomalies_code` ON `anomalies` (`code`,`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`environment` text,
	`dedupe_key` text NOT NULL,
	`content_hash` text NOT NULL,
	`payload` text NOT NULL,
	`user_id` text,
	`product_id` text,
	`iap_log_id` integer,
	`status` text DEFAULT 'received' NOT NULL,
	`error` text,
	`raw_request_id` text,
	`source` text DEFAULT 'webhook' NOT NULL,
	`received_at` integer NOT NULL,
	`applied_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_dedupe_key` ON `events` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `events_status` ON `events` (`status`,`received_at`);--> statement-breakpoint
CREATE INDEX `events_user` ON `events` (`user_id`,`environment`);--> statement-breakpoint
CREATE INDEX `events_iap_log` ON `events` (`environment`,`iap_log_id`);--> statement-breakpoint
CREATE TABLE `job_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`outcome` text NOT NULL,
	`error_class` text,
	`error_message` text,
	`status_code` integer,
	`latency_ms` real,
	`response_snippet` text,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `job_attempts_job` ON `job_attempts` (`job_id`,`attempt`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`policy` text NOT NULL,
	`run_at` integer NOT NULL,
	`locked_by` text,
	`locked_until` integer,
	`last_error` text,
	`concurrency_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `jobs_due` ON `jobs` (`state`,`run_at`);--> statement-breakpoint
CREATE INDEX `jobs_lease` ON `jobs` (`state`,`locked_until`);--> statement-breakpoint
CREATE INDEX `jobs_kind_state` ON `jobs` (`kind`,`state`);--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`entry_key` text NOT NULL,
	`event_id` text,
	`environment` text NOT NULL,
	`user_id` text NOT NULL,
	`product_id` text NOT NULL,
	`nacho_product_id` text,
	`product_type` text NOT NULL,
	`iap_log_id` integer,
	`kind` text NOT NULL,
	`quantity` integer NOT NULL,
	`amount` real,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_entry_key` ON `ledger_entries` (`entry_key`);--> statement-breakpoint
CREATE INDEX `ledger_entries_user` ON `ledger_entries` (`environment`,`user_id`,`product_id`);--> statement-breakpoint
CREATE INDEX `ledger_entries_event` ON `ledger_entries` (`event_id`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `purchases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`environment` text NOT NULL,
	`iap_log_id` integer NOT NULL,
	`event_id` text NOT NULL,
	`user_id` text NOT NULL,
	`product_id` text NOT NULL,
	`nacho_product_id` text,
	`product_type` text NOT NULL,
	`os` text,
	`quantity` integer NOT NULL,
	`refunded_quantity` integer DEFAULT 0 NOT NULL,
	`price` real,
	`transaction_id` text,
	`purchased_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `purchases_env_iap_log` ON `purchases` (`environment`,`iap_log_id`);--> statement-breakpoint
CREATE INDEX `purchases_user` ON `purchases` (`environment`,`user_id`);--> statement-breakpoint
CREATE INDEX `purchases_transaction` ON `purchases` (`transaction_id`);--> statement-breakpoint
CREATE TABLE `raw_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`query` text,
	`headers` text NOT NULL,
	`body` blob,
	`body_size` integer NOT NULL,
	`content_type` text,
	`remote_addr` text,
	`request_id` text,
	`key_fingerprint` text,
	`status` integer NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`response` text,
	`duration_ms` real,
	`event_id` text,
	`source` text DEFAULT 'webhook' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `raw_requests_received_at` ON `raw_requests` (`received_at`);--> statement-breakpoint
CREATE INDEX `raw_requests_outcome_received_at` ON `raw_requests` (`outcome`,`received_at`);--> statement-breakpoint
CREATE INDEX `raw_requests_event_id` ON `raw_requests` (`event_id`);--> statement-breakpoint
CREATE TABLE `unavailable_users` (
	`user_id` text NOT NULL,
	`reason` text NOT NULL,
	`last_event_id` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `unavailable_users_user_reason` ON `unavailable_users` (`user_id`,`reason`);