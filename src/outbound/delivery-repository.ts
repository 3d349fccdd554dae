import type { Queryable, Tx } from '../storage/port';
import { fn, sql, type Portable, type Sql } from '../storage/sql';
import type { DeliveryState, Envelope, EventType, Webhook } from './types';
import { PREFIXED_WEBHOOK_COLUMNS, webhookOfPrefixed } from './webhook-repository';

// Deliveries and the outbox. Job states and attempt logs belong to the queue (JobQueue.statusOf,
// attemptsOf): nothing here reads the jobs or job_attempts tables.

/** A deliveries row. */
export interface DeliveryRow {
  id: string;
  webhookId: number;
  eventId: string;
  jobId: number;
  /** pending | succeeded | failed | dead | paused | discarded */
  state: string;
  createdAt: number;
  updatedAt: number;
}

/** Every column of a deliveries row, named as DeliveryRow names them. */
export const DELIVERY_COLUMNS = sql.raw(`id, webhook_id AS "webhookId", event_id AS "eventId", job_id AS "jobId", state,
  created_at AS "createdAt", updated_at AS "updatedAt"`);

export async function insertEvent(tx: Tx, id: string, projectId: number, envelope: Envelope, now: number, isTest = false): Promise<void> {
  await tx.run(sql`INSERT INTO outbound_events (id, project_id, type, data, is_test, created_at)
    VALUES (${id}, ${projectId}, ${envelope.event}, ${JSON.stringify(envelope.data)}, ${isTest}, ${now})`);
}

export async function insertDelivery(
  tx: Tx,
  /** jobId: the job's id, or fn.lastInsertId() when the job's insert was sent just before this one. */
  row: { id: string; webhookId: number; eventId: string; jobId: number | Portable; state: 'pending' | 'paused' },
  now: number,
): Promise<void> {
  await tx.run(sql`INSERT INTO deliveries (id, webhook_id, event_id, job_id, state, created_at, updated_at)
    VALUES (${row.id}, ${row.webhookId}, ${row.eventId}, ${row.jobId}, ${row.state}, ${now}, ${now})`);
}

/**
 * A delivery and its job as one statement, the job's INSERT … RETURNING id in a WITH clause (where
 * the backend allows writes there: Storage.writesInWith).
 */
export async function insertDeliveryWithJob(
  tx: Tx,
  row: { id: string; webhookId: number; eventId: string; state: 'pending' | 'paused' },
  jobInsert: Sql,
  now: number,
): Promise<void> {
  await tx.run(sql`WITH job AS (${jobInsert})
    INSERT INTO deliveries (id, webhook_id, event_id, job_id, state, created_at, updated_at)
    SELECT ${row.id}, ${row.webhookId}, ${row.eventId}, job.id, ${row.state}, ${now}, ${now} FROM job`);
}

export interface DeliveryMessage {
  delivery: DeliveryRow;
  envelope: Envelope;
  /** When the event was emitted: the body's timestamp (Standard Webhooks events), the same on every attempt. */
  emittedAt: number;
  /** A test event (POST …/webhooks/:id/test). */
  test: boolean;
}

/** What an attempt sends: the delivery, the event it carries and the subscription it goes to. */
export interface DeliveryToSend {
  message: DeliveryMessage;
  /** null once the subscription was deleted. */
  webhook: Webhook | null;
}

/** A delivery with its event and its subscription, in one read; null when the delivery does not exist. */
export async function deliveryToSend(db: Queryable, id: string): Promise<DeliveryToSend | null> {
  // The event's and the subscription's columns are renamed in derived tables, so the delivery's own (id, created_at) stay unambiguous.
  const row = await db.get<
    DeliveryRow & { eventType: string; eventData: string; emittedAt: number; eventTest: boolean | number; 'webhook.id': number | null }
  >(sql`
    SELECT ${DELIVERY_COLUMNS},
      e.event_type AS "eventType", e.event_data AS "eventData", e.emitted_at AS "emittedAt", e.event_test AS "eventTest", w.*
    FROM deliveries
      JOIN (SELECT id AS event_row_id, type AS event_type, data AS event_data, created_at AS emitted_at, is_test AS event_test FROM outbound_events) AS e
        ON e.event_row_id = deliveries.event_id
      LEFT JOIN (SELECT ${PREFIXED_WEBHOOK_COLUMNS} FROM webhooks) AS w ON w."webhook.id" = deliveries.webhook_id
    WHERE deliveries.id = ${id}`);
  if (!row) return null;
  const { id: deliveryId, webhookId, eventId, jobId, state, createdAt, updatedAt, eventType, eventData, emittedAt, eventTest } = row;
  const delivery: DeliveryRow = { id: deliveryId, webhookId, eventId, jobId, state, createdAt, updatedAt };
  // A boolean is 0/1 on SQLite.
  const envelope = { event: eventType as EventType, data: JSON.parse(eventData) as Record<string, unknown> };
  return {
    message: { delivery, envelope, emittedAt, test: Boolean(eventTest) },
    webhook: row['webhook.id'] === null ? null : webhookOfPrefixed(row as unknown as Record<string, unknown>),
  };
}

export async function findDelivery(db: Queryable, id: string): Promise<DeliveryRow | null> {
  return (await db.get<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = ${id}`)) ?? null;
}

export async function setDeliveryState(tx: Tx, id: string, state: DeliveryState, now: number): Promise<void> {
  await tx.run(sql`UPDATE deliveries SET state = ${state}, updated_at = ${now} WHERE id = ${id}`);
}

/** These deliveries take a state, in one statement (a group of successes). */
export async function setDeliveriesState(tx: Tx, ids: readonly string[], state: DeliveryState, now: number): Promise<void> {
  if (ids.length === 0) return;
  await tx.run(sql`UPDATE deliveries SET state = ${state}, updated_at = ${now} WHERE ${fn.inList(sql`id`, ids)}`);
}

/** The deliveries carried by these jobs take a state (after the queue parked, unparked or discarded them). */
export async function setStateOfJobs(tx: Tx, jobIds: readonly number[], state: DeliveryState, now: number): Promise<void> {
  for (let i = 0; i < jobIds.length; i += 500) {
    await tx.run(sql`UPDATE deliveries SET state = ${state}, updated_at = ${now} WHERE ${fn.inList(sql`job_id`, jobIds.slice(i, i + 500))}`);
  }
}

export interface ListedDelivery {
  delivery: DeliveryRow;
  /** The event type it carries. */
  type: string;
  /** Whether that event is a test event. */
  test: boolean;
}

/** Newest first; ids are ULIDs, so the last id of a page is the cursor of the next. */
export async function listDeliveries(
  db: Queryable,
  webhookId: number,
  query: { limit: number; cursor?: string; state?: DeliveryState },
): Promise<ListedDelivery[]> {
  const where = sql.and([
    sql`webhook_id = ${webhookId}`,
    query.cursor === undefined ? undefined : sql`id < ${query.cursor}`,
    query.state === undefined ? undefined : sql`state = ${query.state}`,
  ]);
  const rows = await db.all<DeliveryRow & { type: string; test: boolean | number }>(sql`SELECT ${DELIVERY_COLUMNS},
      (SELECT type FROM outbound_events WHERE outbound_events.id = deliveries.event_id) AS type,
      (SELECT is_test FROM outbound_events WHERE outbound_events.id = deliveries.event_id) AS test
    FROM deliveries WHERE ${where} ORDER BY id DESC LIMIT ${query.limit}`);
  return rows.map(({ type, test, ...delivery }) => ({ delivery, type, test: Boolean(test) }));
}

/** The job ids of a subscription's deliveries (to remove them from the queue with it). */
export async function jobIdsOfWebhook(db: Queryable, webhookId: number): Promise<number[]> {
  const rows = await db.all<{ jobId: number }>(sql`SELECT job_id AS "jobId" FROM deliveries WHERE webhook_id = ${webhookId} ORDER BY id`);
  return rows.map((r) => r.jobId);
}

/** Deliveries of a subscription that ended in one of these states since a time, oldest first. */
export async function endedSince(db: Queryable, webhookId: number, since: number, states: DeliveryState[], limit: number): Promise<DeliveryRow[]> {
  if (states.length === 0) return [];
  return db.all<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} FROM deliveries
    WHERE webhook_id = ${webhookId} AND ${fn.inList(sql`state`, states)} AND created_at >= ${since}
    ORDER BY id LIMIT ${limit}`);
}
