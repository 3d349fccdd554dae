CREATE TABLE `value_mappings` (
	`field` text NOT NULL,
	`value` text NOT NULL,
	`meaning` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`field`, `value`)
);
--> statement-breakpoint
ALTER TABLE `events` ADD `held_for` text;