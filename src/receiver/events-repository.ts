import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { events } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';

export interface EventFilter {
  type?: string;
  status?: string;
  userId?: string;
  environment?: string;
  cursor?: string;
  limit: number;
}

export type EventRow = typeof events.$inferSelect;

/** Newest first; the id is a monotonic ULID, so "id < cursor" pages without offsets. */
export function listEvents(db: Db, filter: EventFilter): { rows: EventRow[]; nextCursor: string | null } {
  const conditions: SQL[] = [];
  if (filter.type !== undefined) conditions.push(eq(events.type, filter.type));
  if (filter.status !== undefined) conditions.push(eq(events.status, filter.status));
  if (filter.userId !== undefined) conditions.push(eq(events.userId, filter.userId));
  if (filter.environment !== undefined) conditions.push(eq(events.environment, filter.environment));
  if (filter.cursor !== undefined) conditions.push(lt(events.id, filter.cursor));
  const rows = db
    .select()
    .from(events)
    .where(and(...conditions))
    .orderBy(desc(events.id))
    .limit(filter.limit + 1)
    .all();
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  return { rows: page, nextCursor: more ? page[page.length - 1].id : null };
}

export function getEvent(db: Db, id: string): EventRow | undefined {
  return db.select().from(events).where(eq(events.id, id)).get();
}
