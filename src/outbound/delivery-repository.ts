import { and, asc, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { deliveries, jobAttempts, jobs, outboundEvents } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';
import { preparedPer } from '../storage/sqlite/prepared';
import type { DeliveryState, Envelope, EventType } from './types';

export type DeliveryRow = typeof deliveries.$inferSelect;
export type AttemptRow = typeof jobAttempts.$inferSelect;

const p = (name: string) => sql.placeholder(name);

// Prepared once per connection: these run once per event or per delivery attempt, where building
// the drizzle query cost more than running it.
const insertEventStatement = preparedPer((db) =>
  db.insert(outboundEvents).values({ id: p('id'), projectId: p('projectId'), type: p('type'), data: p('data'), createdAt: p('now') }).prepare(),
);
const insertDeliveryStatement = preparedPer((db) =>
  db
    .insert(deliveries)
    .values({ id: p('id'), webhookId: p('webhookId'), eventId: p('eventId'), jobId: p('jobId'), state: 'pending', createdAt: p('now'), updatedAt: p('now') })
    .prepare(),
);
const messageStatement = preparedPer((db) =>
  db
    .select({ delivery: deliveries, type: outboundEvents.type, data: outboundEvents.data })
    .from(deliveries)
    .innerJoin(outboundEvents, eq(outboundEvents.id, deliveries.eventId))
    .where(eq(deliveries.id, p('id')))
    .prepare(),
);
const setStateStatement = preparedPer((db) =>
  db.update(deliveries).set({ state: sql`${p('state')}`, updatedAt: sql`${p('now')}` }).where(eq(deliveries.id, p('id'))).prepare(),
);

export function insertEvent(db: Db, id: string, projectId: number, envelope: Envelope, now: number): void {
  insertEventStatement(db).run({ id, projectId, type: envelope.event, data: JSON.stringify(envelope.data), now });
}

export function insertDelivery(db: Db, row: { id: string; webhookId: number; eventId: string; jobId: number }, now: number): void {
  insertDeliveryStatement(db).run({ ...row, now });
}

export interface DeliveryMessage {
  delivery: DeliveryRow;
  envelope: Envelope;
}

/** A delivery with the event it carries, for the sender. */
export function deliveryMessage(db: Db, id: string): DeliveryMessage | null {
  const row = messageStatement(db).get({ id });
  if (!row) return null;
  return { delivery: row.delivery, envelope: { event: row.type as EventType, data: JSON.parse(row.data) as Record<string, unknown> } };
}

export function findDelivery(db: Db, id: string): DeliveryRow | null {
  return db.select().from(deliveries).where(eq(deliveries.id, id)).get() ?? null;
}

export function setDeliveryState(db: Db, id: string, state: DeliveryState, now: number): void {
  setStateStatement(db).run({ id, state, now });
}

export interface ListedDelivery {
  delivery: DeliveryRow;
  type: string;
  jobState: string | null;
  runAt: number | null;
}

/** Newest first; ids are ULIDs, so the last id of a page is the cursor of the next. */
export function listDeliveries(db: Db, webhookId: number, query: { limit: number; cursor?: string; state?: DeliveryState }): ListedDelivery[] {
  return db
    .select({ delivery: deliveries, type: outboundEvents.type, jobState: jobs.state, runAt: jobs.runAt })
    .from(deliveries)
    .innerJoin(outboundEvents, eq(outboundEvents.id, deliveries.eventId))
    .leftJoin(jobs, eq(jobs.id, deliveries.jobId))
    .where(
      and(
        eq(deliveries.webhookId, webhookId),
        query.cursor === undefined ? undefined : lt(deliveries.id, query.cursor),
        query.state === undefined ? undefined : eq(deliveries.state, query.state),
      ),
    )
    .orderBy(desc(deliveries.id))
    .limit(query.limit)
    .all();
}

/** Attempt log rows of these jobs, oldest first, grouped by job id. */
export function attemptsByJob(db: Db, jobIds: number[]): Map<number, AttemptRow[]> {
  const grouped = new Map<number, AttemptRow[]>();
  if (jobIds.length === 0) return grouped;
  const rows = db
    .select()
    .from(jobAttempts)
    .where(inArray(jobAttempts.jobId, jobIds))
    .orderBy(asc(jobAttempts.jobId), asc(jobAttempts.attempt), asc(jobAttempts.id))
    .all();
  for (const row of rows) grouped.set(row.jobId, [...(grouped.get(row.jobId) ?? []), row]);
  return grouped;
}

/** Deliveries of a subscription that ended in one of these states since a time, oldest first. */
export function endedSince(db: Db, webhookId: number, since: number, states: DeliveryState[], limit: number): DeliveryRow[] {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.webhookId, webhookId), inArray(deliveries.state, states), gte(deliveries.createdAt, since)))
    .orderBy(asc(deliveries.id))
    .limit(limit)
    .all();
}
