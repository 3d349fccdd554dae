CREATE TABLE `bins` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text,
	`status` integer DEFAULT 200 NOT NULL,
	`body` text,
	`content_type` text,
	`delay_ms` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`last_request_at` integer
);
--> statement-breakpoint
ALTER TABLE `raw_requests` ADD `bin_id` text;--> statement-breakpoint
CREATE INDEX `raw_requests_bin` ON `raw_requests` (`bin_id`,`received_at`);