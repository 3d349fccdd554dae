-- The stored raw body is bytes, and what arrives is not always UTF-8 or JSON; a cast that fails
-- would abort the whole query (a search, a report), so these return NULL instead of raising.
CREATE OR REPLACE FUNCTION iaphook_try_text(body bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN convert_from(body, 'UTF8');
EXCEPTION WHEN others THEN
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION iaphook_try_json(body bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN convert_from(body, 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- ULID ids are compared and ordered as cursors ("id < $cursor"); under a linguistic collation
-- punctuation is ignored at first and orderings differ by locale, so ids use byte order.
ALTER TABLE "raw_requests" ALTER COLUMN "id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "raw_requests" ALTER COLUMN "event_id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "raw_requests" ALTER COLUMN "bin_id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "raw_request_id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "outbound_events" ALTER COLUMN "id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "deliveries" ALTER COLUMN "id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "deliveries" ALTER COLUMN "event_id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "bins" ALTER COLUMN "id" TYPE text COLLATE "C";
