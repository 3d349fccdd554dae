import type { JobQueue } from '../delivery';
import { newId } from '../shared/ids';
import type { Tx } from '../storage/port';
import { fn } from '../storage/sql';
import { insertDelivery, insertDeliveryWithJob, insertEvent } from './delivery-repository';
import { subscriptionMatches } from './matching';
import { isPaused, lockPause } from './pause';
import { policyFor } from './policies';
import { DELIVER_WEBHOOK_JOB, endpointKey, type DeliverJobPayload, type EmitInput, type Envelope, type Webhook } from './types';
import { listWebhooks, webhookById } from './webhook-repository';

export interface Emitted {
  eventId: string;
  deliveryIds: string[];
}

/** Writes an event into the outbox; call it inside the transaction of the change it reports. */
export type Emit = (tx: Tx, input: EmitInput, now: number) => Promise<Emitted>;

/**
 * How the delivery for a subscription starts. For a paused one it is decided under the pause lock
 * on a fresh read: a resume that committed meanwhile makes it pending (and one that commits after
 * this transaction finds the paused job and sends it); an admin who stopped the pausing meanwhile
 * gets no delivery.
 */
async function startState(tx: Tx, webhook: Webhook): Promise<'pending' | 'paused' | null> {
  if (!isPaused(webhook)) return 'pending';
  await lockPause(tx, webhook.id);
  const current = await webhookById(tx, webhook.id);
  if (current === null) return null;
  if (isPaused(current)) return 'paused';
  return current.status === 'ACTIVE' ? 'pending' : null;
}

export interface EmitterOptions {
  /** Each delivery and its job as one statement (Storage.writesInWith: PostgreSQL). */
  writesInWith?: boolean;
}

/**
 * The transactional outbox, handed the caller's transaction (it awaits nothing else): the event row, one
 * delivery and one job per matching subscription commit with the change or not at all. Each job
 * carries the subscription's retry policy as it is now, so editing the policy later does not
 * rewrite schedules already running. A subscription disabled automatically still gets its
 * delivery, parked (paused) until it is ACTIVE again; one an admin set INACTIVE gets none.
 */
export function createEmitter(queue: JobQueue, options: EmitterOptions = {}): Emit {
  const inOneStatement = options.writesInWith === true;
  return async (tx, input, now) => {
    const eventId = newId('msg', now);
    // Independent: sent together (one round trip on PostgreSQL).
    const [, webhooks] = await Promise.all([insertEvent(tx, eventId, input.projectId, input.envelope, now), listWebhooks(tx, input.projectId, true)]);
    // Where each delivery starts first (a paused subscription's is read under its lock), then
    // every delivery at once: one round trip for all the subscriptions on PostgreSQL.
    const starts: Array<{ webhook: Webhook; state: 'pending' | 'paused' }> = [];
    for (const webhook of webhooks) {
      if (!subscriptionMatches(webhook, input)) continue;
      const state = await startState(tx, webhook);
      if (state !== null) starts.push({ webhook, state });
    }
    const deliveryIds = await Promise.all(starts.map(({ webhook, state }) => enqueueDelivery(tx, queue, webhook, eventId, state, now, inOneStatement)));
    return { eventId, deliveryIds };
  };
}

/**
 * One delivery of an event to one subscription, and the job that sends it with the subscription's
 * retry policy. Its statements are issued before its first await, so several of these called
 * together send theirs in turn: each delivery's right after its own job's.
 */
async function enqueueDelivery(
  tx: Tx,
  queue: JobQueue,
  webhook: Webhook,
  eventId: string,
  state: 'pending' | 'paused',
  now: number,
  inOneStatement = false,
): Promise<string> {
  const deliveryId = newId('dlv', now);
  const payload: DeliverJobPayload = { deliveryId };
  const paused = state === 'paused';
  const job = { kind: DELIVER_WEBHOOK_JOB, payload, policy: policyFor(webhook.retryPolicy), concurrencyKey: endpointKey(webhook.id), paused };
  const row = { id: deliveryId, webhookId: webhook.id, eventId, state };
  if (inOneStatement) {
    await insertDeliveryWithJob(tx, row, queue.enqueueStatement(job, now), now);
    return deliveryId;
  }
  // Sent together: the delivery names the job by the id its insert, sent just before, took.
  await Promise.all([
    queue.enqueue(tx, job, now),
    insertDelivery(tx, { id: deliveryId, webhookId: webhook.id, eventId, jobId: fn.lastInsertId(), state }, now),
  ]);
  return deliveryId;
}

/**
 * A test event for one subscription (Svix's "send example"): an event of its own, marked as a
 * test, and one delivery through the same queue, signing, template, retries and attempt log as
 * any. The subscription's event list and filter are not consulted: the admin asked for this one.
 */
export async function emitTest(tx: Tx, queue: JobQueue, webhook: Webhook, envelope: Envelope, now: number, options: EmitterOptions = {}): Promise<Emitted> {
  const eventId = newId('msg', now);
  await insertEvent(tx, eventId, webhook.projectId, envelope, now, true);
  return { eventId, deliveryIds: [await enqueueDelivery(tx, queue, webhook, eventId, 'pending', now, options.writesInWith === true)] };
}
