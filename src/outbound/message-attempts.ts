import type { JobQueue } from '../delivery';
import { networkMs } from '../shared/durations';
import type { Queryable } from '../storage/port';
import { escapeLike, fn, sql } from '../storage/sql';

/** One attempt of one of our outbound deliveries, as the inspector shows it beside a captured request. */
export interface DeliveryAttemptRow {
  deliveryId: string;
  webhookName: string;
  deliveryState: string;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  outcome: string;
  statusCode: number | null;
  latencyMs: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  responseSnippet: string | null;
}

/** Most attempts shown for one message. */
const MAX_ATTEMPTS = 100;

/**
 * The attempts of our own outbound deliveries that sent a captured request. A delivery's
 * `webhook-id` header is its outbound event id (the same on every retry); when the request was
 * captured by a bin, only the subscriptions pointing at that bin are shown. Ordered by delivery,
 * then attempt, then attempt id; deliveries without an attempt yet are left out. The attempt logs
 * come from the queue, which owns them.
 */
export async function deliveryAttemptsForMessage(db: Queryable, queue: JobQueue, messageId: string, binId: string | null): Promise<DeliveryAttemptRow[]> {
  const bin = binId === null ? undefined : sql`${fn.likeInsensitive(sql`webhooks.url`, `%/bins/${escapeLike(binId)}%`)}`;
  // One delivery per subscription of the project: a short list.
  const deliveries = await db.all<{ deliveryId: string; webhookName: string; deliveryState: string; jobId: number }>(sql`
    SELECT deliveries.id AS "deliveryId", webhooks.name AS "webhookName", deliveries.state AS "deliveryState", deliveries.job_id AS "jobId"
    FROM deliveries JOIN webhooks ON webhooks.id = deliveries.webhook_id
    WHERE ${sql.and([sql`deliveries.event_id = ${messageId}`, bin])}
    ORDER BY deliveries.id`);
  if (deliveries.length === 0) return [];
  const attempts = await queue.attemptsOf(
    db,
    deliveries.map((d) => d.jobId),
  );
  const rows: DeliveryAttemptRow[] = [];
  for (const delivery of deliveries) {
    // attemptsOf gives each job's attempts by attempt, then id.
    for (const a of attempts.get(delivery.jobId) ?? []) {
      if (rows.length === MAX_ATTEMPTS) return rows;
      rows.push({
        deliveryId: delivery.deliveryId,
        webhookName: delivery.webhookName,
        deliveryState: delivery.deliveryState,
        attempt: a.attempt,
        startedAt: new Date(a.startedAt).toISOString(),
        finishedAt: new Date(a.finishedAt).toISOString(),
        outcome: a.outcome,
        statusCode: a.statusCode,
        latencyMs: networkMs(a.latencyMs),
        errorClass: a.errorClass,
        errorMessage: a.errorMessage,
        responseSnippet: a.responseSnippet,
      });
    }
  }
  return rows;
}
