import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { channels, deliveries, jobs, projects, webhooks } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';
import { preparedPer } from '../storage/sqlite/prepared';
import type { ActiveStatus, Filter, RetryPolicyName, SubscribedEvent, Template, Webhook, WebhookFields } from './types';

type WebhookRow = typeof webhooks.$inferSelect;

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

function toWebhook(row: WebhookRow): Webhook {
  return {
    ...row,
    status: row.status as ActiveStatus,
    events: JSON.parse(row.events) as SubscribedEvent[],
    retryPolicy: row.retryPolicy as RetryPolicyName,
    template: parse<Template>(row.template),
    filter: parse<Filter>(row.filter),
  };
}

export type { WebhookFields };

function columns(fields: WebhookFields) {
  return { ...fields, events: JSON.stringify(fields.events), template: json(fields.template), filter: json(fields.filter) };
}

export function insertWebhook(db: Db, projectId: number, fields: WebhookFields, now: number): Webhook {
  const row = db
    .insert(webhooks)
    .values({ ...columns(fields), projectId, createdAt: now, updatedAt: now })
    .returning()
    .get();
  return toWebhook(row);
}

/** A full update; re-enabling (status ACTIVE) clears the health record that disabled it. */
export function updateWebhook(db: Db, id: number, fields: WebhookFields, now: number): Webhook {
  const health = fields.status === 'ACTIVE' ? { consecutiveFailures: 0, disabledReason: null, disabledAt: null } : {};
  const row = db
    .update(webhooks)
    .set({ ...columns(fields), ...health, updatedAt: now })
    .where(eq(webhooks.id, id))
    .returning()
    .get();
  return toWebhook(row);
}

/** Deletes the subscription, its deliveries and their jobs (a pending retry must not fire after). */
export function deleteWebhook(db: Db, id: number): void {
  const jobIds = db.select({ id: deliveries.jobId }).from(deliveries).where(eq(deliveries.webhookId, id));
  db.delete(jobs).where(inArray(jobs.id, jobIds)).run();
  db.delete(webhooks).where(eq(webhooks.id, id)).run();
}

export function findWebhook(db: Db, projectId: number, id: number): Webhook | null {
  const row = db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.projectId, projectId), eq(webhooks.id, id)))
    .get();
  return row ? toWebhook(row) : null;
}

// Prepared once per connection: read once per delivery attempt or per emitted event.
const byIdStatement = preparedPer((db) => db.select().from(webhooks).where(eq(webhooks.id, sql.placeholder('id'))).prepare());
const activeStatement = preparedPer((db) =>
  db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.projectId, sql.placeholder('projectId')), eq(webhooks.status, 'ACTIVE')))
    .orderBy(webhooks.id)
    .prepare(),
);
// Only a subscription that had failures is written: most successes change nothing.
const resetStatement = preparedPer((db) =>
  db
    .update(webhooks)
    .set({ consecutiveFailures: 0 })
    .where(and(eq(webhooks.id, sql.placeholder('id')), ne(webhooks.consecutiveFailures, 0)))
    .prepare(),
);

export function webhookById(db: Db, id: number): Webhook | null {
  const row = byIdStatement(db).get({ id });
  return row ? toWebhook(row) : null;
}

export function webhookByName(db: Db, projectId: number, name: string): Webhook | null {
  const row = db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.projectId, projectId), eq(webhooks.name, name)))
    .get();
  return row ? toWebhook(row) : null;
}

export function listWebhooks(db: Db, projectId: number, onlyActive = false): Webhook[] {
  if (onlyActive) return activeStatement(db).all({ projectId }).map(toWebhook);
  const where = onlyActive ? and(eq(webhooks.projectId, projectId), eq(webhooks.status, 'ACTIVE')) : eq(webhooks.projectId, projectId);
  return db.select().from(webhooks).where(where).orderBy(webhooks.id).all().map(toWebhook);
}

export function projectExists(db: Db, projectId: number): boolean {
  return db.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).get() !== undefined;
}

export function channelIdsOf(db: Db, projectId: number): Set<number> {
  return new Set(db.select({ id: channels.id }).from(channels).where(eq(channels.projectId, projectId)).all().map((r) => r.id));
}

/** A delivery succeeded: the endpoint is healthy again. */
export function resetFailures(db: Db, id: number): void {
  resetStatement(db).run({ id });
}

/** A delivery ended failed or dead; returns the new count of such endings in a row. */
export function addFailure(db: Db, id: number): number {
  const row = db
    .update(webhooks)
    .set({ consecutiveFailures: sql`${webhooks.consecutiveFailures} + 1` })
    .where(eq(webhooks.id, id))
    .returning({ count: webhooks.consecutiveFailures })
    .get();
  return row?.count ?? 0;
}

/** Sets INACTIVE with the reason; false when it was not ACTIVE (nothing to report). */
export function disableWebhook(db: Db, id: number, reason: string, now: number): boolean {
  const result = db
    .update(webhooks)
    .set({ status: 'INACTIVE', disabledReason: reason, disabledAt: now, updatedAt: now })
    .where(and(eq(webhooks.id, id), eq(webhooks.status, 'ACTIVE')))
    .run();
  return result.changes > 0;
}
