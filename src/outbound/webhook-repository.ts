import type { JobQueue } from '../delivery';
import type { Queryable, Tx } from '../storage/port';
import { fn, sql } from '../storage/sql';
import { jobIdsOfWebhook } from './delivery-repository';
import {
  ENTITLEMENT_UPDATED,
  type ActiveStatus,
  type Filter,
  type RetryPolicyName,
  type SubscribedEvent,
  type Template,
  type Webhook,
  type WebhookFields,
} from './types';

/** A webhooks row as stored: events, template and filter are JSON text. */
interface WebhookRow {
  id: number;
  projectId: number;
  name: string;
  url: string;
  status: string;
  token: string | null;
  events: string;
  signingSecret: string | null;
  previousSigningSecret: string | null;
  previousSecretExpiresAt: number | null;
  retryPolicy: string;
  template: string | null;
  filter: string | null;
  consecutiveFailures: number;
  failingSince: number | null;
  disabledReason: string | null;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Every column of a webhooks row and the name WebhookRow gives it. */
const FIELDS: ReadonlyArray<readonly [column: string, name: keyof WebhookRow]> = [
  ['id', 'id'],
  ['project_id', 'projectId'],
  ['name', 'name'],
  ['url', 'url'],
  ['status', 'status'],
  ['token', 'token'],
  ['events', 'events'],
  ['signing_secret', 'signingSecret'],
  ['previous_signing_secret', 'previousSigningSecret'],
  ['previous_secret_expires_at', 'previousSecretExpiresAt'],
  ['retry_policy', 'retryPolicy'],
  ['template', 'template'],
  ['filter', 'filter'],
  ['consecutive_failures', 'consecutiveFailures'],
  ['failing_since', 'failingSince'],
  ['disabled_reason', 'disabledReason'],
  ['disabled_at', 'disabledAt'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
];

/** Every column of a webhooks row, named as WebhookRow names them. */
const WEBHOOK_COLUMNS = sql.raw(FIELDS.map(([column, name]) => (column === name ? column : `${column} AS "${name}"`)).join(', '));

/**
 * The same columns named `webhook.<name>`, for a query that reads a webhook beside rows of other
 * tables with the same column names (id, created_at); webhookOfPrefixed turns them back into one.
 */
export const PREFIXED_WEBHOOK_COLUMNS = sql.raw(FIELDS.map(([column, name]) => `${column} AS "webhook.${name}"`).join(', '));

export function webhookOfPrefixed(row: Record<string, unknown>): Webhook {
  return toWebhook(Object.fromEntries(FIELDS.map(([, name]) => [name, row[`webhook.${name}`]])) as unknown as WebhookRow);
}

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

/** Serialises creates and updates of a project's webhooks, so the unique-name check holds across instances. */
export function lockWebhookNames(tx: Tx, projectId: number): Promise<void> {
  return tx.lock(`outbound:webhook-name:${projectId}`);
}

export async function insertWebhook(tx: Tx, projectId: number, fields: WebhookFields, now: number): Promise<Webhook> {
  const row = await tx.get<WebhookRow>(sql`INSERT INTO webhooks (project_id, name, url, status, token, events, signing_secret,
      previous_signing_secret, previous_secret_expires_at, retry_policy, template, filter, created_at, updated_at)
    VALUES (${projectId}, ${fields.name}, ${fields.url}, ${fields.status}, ${fields.token}, ${JSON.stringify(fields.events)},
      ${fields.signingSecret}, ${fields.previousSigningSecret}, ${fields.previousSecretExpiresAt}, ${fields.retryPolicy},
      ${json(fields.template)}, ${json(fields.filter)}, ${now}, ${now})
    RETURNING ${WEBHOOK_COLUMNS}`);
  if (row === undefined) throw new Error('insertWebhook: the insert returned no row');
  return toWebhook(row);
}

/**
 * A full update; re-enabling (status ACTIVE) clears the health record that disabled it. Staying
 * INACTIVE keeps it: a subscription disabled automatically stays paused while its URL is fixed.
 */
export async function updateWebhook(tx: Tx, id: number, fields: WebhookFields, now: number): Promise<Webhook> {
  const health = fields.status === 'ACTIVE' ? sql`, consecutive_failures = 0, failing_since = NULL, disabled_reason = NULL, disabled_at = NULL` : sql.empty;
  const row = await tx.get<WebhookRow>(sql`UPDATE webhooks SET name = ${fields.name}, url = ${fields.url}, status = ${fields.status},
      token = ${fields.token}, events = ${JSON.stringify(fields.events)}, signing_secret = ${fields.signingSecret},
      previous_signing_secret = ${fields.previousSigningSecret}, previous_secret_expires_at = ${fields.previousSecretExpiresAt},
      retry_policy = ${fields.retryPolicy}, template = ${json(fields.template)}, filter = ${json(fields.filter)}${health}, updated_at = ${now}
    WHERE id = ${id}
    RETURNING ${WEBHOOK_COLUMNS}`);
  if (row === undefined) throw new Error(`updateWebhook: no webhook ${id}`);
  return toWebhook(row);
}

/**
 * Deletes the subscription, its deliveries and their jobs (a pending retry must not fire after).
 * The jobs and their attempt logs are the queue's to remove; the deliveries would also go with the
 * webhook (ON DELETE CASCADE), but are deleted here so nothing depends on the foreign-key setting.
 */
export async function deleteWebhook(tx: Tx, queue: JobQueue, id: number): Promise<void> {
  const jobIds = await jobIdsOfWebhook(tx, id);
  if (jobIds.length > 0) await queue.remove(tx, jobIds);
  await tx.run(sql`DELETE FROM deliveries WHERE webhook_id = ${id}`);
  await tx.run(sql`DELETE FROM webhooks WHERE id = ${id}`);
}

export async function findWebhook(db: Queryable, projectId: number, id: number): Promise<Webhook | null> {
  const row = await db.get<WebhookRow>(sql`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE project_id = ${projectId} AND id = ${id}`);
  return row ? toWebhook(row) : null;
}

export async function webhookById(db: Queryable, id: number): Promise<Webhook | null> {
  const row = await db.get<WebhookRow>(sql`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ${id}`);
  return row ? toWebhook(row) : null;
}

export async function webhookByName(db: Queryable, projectId: number, name: string): Promise<Webhook | null> {
  const row = await db.get<WebhookRow>(sql`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE project_id = ${projectId} AND name = ${name}`);
  return row ? toWebhook(row) : null;
}

/**
 * A project's subscriptions; `deliverable`: those events are delivered to, ACTIVE ones and those
 * disabled automatically (their deliveries are kept, paused), not those an admin set INACTIVE.
 */
export async function listWebhooks(db: Queryable, projectId: number, deliverable = false): Promise<Webhook[]> {
  const active = deliverable ? sql`AND (status = 'ACTIVE' OR disabled_at IS NOT NULL)` : sql.empty;
  const rows = await db.all<WebhookRow>(sql`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE project_id = ${projectId} ${active} ORDER BY id`);
  return rows.map(toWebhook);
}

export async function projectExists(db: Queryable, projectId: number): Promise<boolean> {
  return (await db.get(sql`SELECT id FROM projects WHERE id = ${projectId}`)) !== undefined;
}

export async function channelIdsOf(db: Queryable, projectId: number): Promise<Set<number>> {
  const rows = await db.all<{ id: number }>(sql`SELECT id FROM channels WHERE project_id = ${projectId}`);
  return new Set(rows.map((r) => r.id));
}

/** Deliveries succeeded: their endpoints are healthy again. Only a subscription that had failures is written. */
export async function resetFailures(tx: Tx, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.run(sql`UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL
    WHERE ${fn.inList(sql`id`, ids)} AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`);
}

/** The failures in a row after one more, and when the first of them ended. */
export interface FailureRun {
  failuresInARow: number;
  failingSince: number | null;
}

/** A delivery ended failed or dead at `now`: one atomic statement counts it and starts the run's clock if it is the first. */
export async function addFailure(tx: Tx, id: number, now: number): Promise<FailureRun> {
  const row = await tx.get<FailureRun>(sql`UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
      failing_since = coalesce(failing_since, ${now})
    WHERE id = ${id}
    RETURNING consecutive_failures AS "failuresInARow", failing_since AS "failingSince"`);
  return row ?? { failuresInARow: 0, failingSince: null };
}

/**
 * A subscription disabled automatically becomes one set INACTIVE by an admin: later events are no
 * longer kept for it. False when it was not paused.
 */
export async function stopPausing(tx: Tx, id: number, now: number): Promise<boolean> {
  const changed = await tx.run(sql`UPDATE webhooks SET disabled_reason = NULL, disabled_at = NULL, updated_at = ${now}
    WHERE id = ${id} AND status = 'INACTIVE' AND disabled_at IS NOT NULL`);
  return changed > 0;
}

/** Sets INACTIVE with the reason, which marks it disabled automatically (paused); false when it was not ACTIVE. */
export async function disableWebhook(tx: Tx, id: number, reason: string, now: number): Promise<boolean> {
  const changed = await tx.run(sql`UPDATE webhooks SET status = 'INACTIVE', disabled_reason = ${reason}, disabled_at = ${now}, updated_at = ${now}
    WHERE id = ${id} AND status = 'ACTIVE'`);
  return changed > 0;
}

/**
 * The projects with a subscription that gets entitlement.updated (deliverable, with the event
 * ACTIVE), in id order. The LIKE narrows the rows to those naming the event; the parse decides.
 */
export async function projectsWantingEntitlements(db: Queryable): Promise<number[]> {
  const rows = await db.all<{ projectId: number; events: string }>(sql`SELECT project_id AS "projectId", events FROM webhooks
    WHERE (status = 'ACTIVE' OR disabled_at IS NOT NULL) AND events LIKE ${`%"${ENTITLEMENT_UPDATED}"%`} ORDER BY project_id`);
  const wanting = rows.filter((r) => (JSON.parse(r.events) as SubscribedEvent[]).some((e) => e.type === ENTITLEMENT_UPDATED && e.status === 'ACTIVE'));
  return [...new Set(wanting.map((r) => r.projectId))];
}
