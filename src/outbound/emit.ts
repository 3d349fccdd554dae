import type { JobQueue } from '../delivery';
import { newId } from '../shared/ids';
import type { Tx } from '../storage/port';
import { insertDelivery, insertEvent } from './delivery-repository';
import { subscriptionMatches } from './matching';
import { policyFor } from './policies';
import { DELIVER_WEBHOOK_JOB, type DeliverJobPayload, type EmitInput } from './types';
import { listWebhooks } from './webhook-repository';

export interface Emitted {
  eventId: string;
  deliveryIds: string[];
}

/** Writes an event into the outbox; call it inside the transaction of the change it reports. */
export type Emit = (tx: Tx, input: EmitInput, now: number) => Promise<Emitted>;

/** The concurrency key of a subscription's jobs: the per-endpoint cap of the claim counts by it. */
export const endpointKey = (webhookId: number): string => `webhook:${webhookId}`;

/**
 * The transactional outbox, handed the caller's transaction (it awaits nothing else): the event row, one
 * delivery and one job per matching subscription commit with the change or not at all. Each job
 * carries the subscription's retry policy as it is now, so editing the policy later does not
 * rewrite schedules already running.
 */
export function createEmitter(queue: JobQueue): Emit {
  return async (tx, input, now) => {
    const eventId = newId('msg', now);
    await insertEvent(tx, eventId, input.projectId, input.envelope, now);
    const deliveryIds: string[] = [];
    for (const webhook of await listWebhooks(tx, input.projectId, true)) {
      if (!subscriptionMatches(webhook, input)) continue;
      const deliveryId = newId('dlv', now);
      const payload: DeliverJobPayload = { deliveryId };
      const jobId = await queue.enqueue(
        tx,
        { kind: DELIVER_WEBHOOK_JOB, payload, policy: policyFor(webhook.retryPolicy), concurrencyKey: endpointKey(webhook.id) },
        now,
      );
      await insertDelivery(tx, { id: deliveryId, webhookId: webhook.id, eventId, jobId }, now);
      deliveryIds.push(deliveryId);
    }
    return { eventId, deliveryIds };
  };
}
