import type { Logger } from 'pino';
import { JobError, type FailureInfo, type JobQueue } from '../delivery';
import type { Tx } from '../storage/port';
import { findDelivery, setDeliveryState, type DeliveryRow } from './delivery-repository';
import type { OutboundMetrics } from './metrics';
import { isPaused, lockPause, pauseQueued, resumeQueued } from './pause';
import type { DeliveryState } from './types';
import { addFailure, disableWebhook, webhookById, type FailureRun } from './webhook-repository';

// Classes that say nothing about the endpoint's health: nothing was sent.
const NOT_SENT = new Set(['webhook_inactive', 'missing', 'paused']);

/**
 * The state a failed attempt leaves its delivery in: pending while the policy retries it, failed
 * when the answer is not worth retrying (a 4xx, a redirect, a refused address), dead once the
 * retries are exhausted. A lease that expired on the last attempt (a crash) counts as exhausted.
 */
export function endingState(failure: Pick<FailureInfo, 'willRetry' | 'error'>): DeliveryState {
  if (failure.willRetry) return 'pending';
  const detail = failure.error instanceof JobError ? failure.error.detail : {};
  return detail.retryable === false && detail.errorClass !== 'LeaseExpired' ? 'failed' : 'dead';
}

export interface DisablePolicy {
  /** Failed or dead deliveries in a row (OUTBOUND_DISABLE_AFTER). */
  disableAfter: number;
  /** How long ago, at least, the first of them must have ended (OUTBOUND_DISABLE_AFTER_MS). */
  disableAfterMs: number;
}

function duration(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours < 2) return `${Math.round(ms / 60_000)} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

/**
 * Why a subscription should be disabled after a delivery ended at `now`, or null. 410 Gone is the
 * receiver saying the endpoint will never come back. Otherwise it takes both a run of failures
 * (`disableAfter` endings in a row, no success between) and time: the first of them ended at
 * least `disableAfterMs` ago. A burst of events during a short outage fails many deliveries in
 * seconds and says nothing about an endpoint that is back a minute later (as Svix, which disables
 * only after days of continuous failure; ABC never disables).
 */
export function disableReason(errorClass: string | null | undefined, run: FailureRun, now: number, policy: DisablePolicy): string | null {
  if (errorClass === 'gone') return 'the endpoint answered 410 Gone';
  if (run.failuresInARow < policy.disableAfter || run.failingSince === null) return null;
  const failingFor = now - run.failingSince;
  // At least the window (not strictly more), so OUTBOUND_DISABLE_AFTER_MS=0 is the count alone.
  if (failingFor < policy.disableAfterMs) return null;
  const what = run.failuresInARow === 1 ? '1 delivery failed' : `${run.failuresInARow} deliveries in a row failed`;
  return failingFor < 60_000 ? what : `${what} over ${duration(failingFor)}`;
}

export interface EndingInput {
  deliveryId: string;
  failure: FailureInfo;
  now: number;
  policy: DisablePolicy;
  queue: JobQueue;
  logger: Logger;
  metrics: OutboundMetrics;
}

/** Runs in the transaction recording the failed attempt. */
export async function recordEnding(tx: Tx, input: EndingInput): Promise<void> {
  const delivery = await findDelivery(tx, input.deliveryId);
  if (!delivery) return;
  if (input.failure.parked === true) return recordParked(tx, delivery, input);
  const state = endingState(input.failure);
  await setDeliveryState(tx, delivery.id, state, input.now);
  input.metrics.deliveries.inc({ outcome: state === 'pending' ? 'retry' : state });
  if (state === 'pending') return;
  const errorClass = input.failure.error instanceof JobError ? input.failure.error.detail.errorClass : null;
  if (errorClass !== null && errorClass !== undefined && NOT_SENT.has(errorClass)) return;
  const run = await addFailure(tx, delivery.webhookId, input.now);
  const reason = disableReason(errorClass, run, input.now, input.policy);
  if (reason === null) return;
  await lockPause(tx, delivery.webhookId);
  if (!(await disableWebhook(tx, delivery.webhookId, reason, input.now))) return;
  const paused = await pauseQueued(tx, input.queue, delivery.webhookId, input.now);
  input.logger.warn({ webhookId: delivery.webhookId, deliveryId: delivery.id, reason, paused }, 'subscription disabled automatically');
  input.metrics.disabled.inc({ reason: errorClass === 'gone' ? 'gone' : 'failing' });
}

/**
 * The handler found the subscription paused and parked the job. Checked again under the pause
 * lock: if it was set ACTIVE between the handler's read and this commit, the resume did not see
 * this job (it was running), so it is unparked here, or it would wait under an ACTIVE subscription.
 */
async function recordParked(tx: Tx, delivery: DeliveryRow, input: EndingInput): Promise<void> {
  await lockPause(tx, delivery.webhookId);
  const webhook = await webhookById(tx, delivery.webhookId);
  if (webhook !== null && isPaused(webhook)) {
    await setDeliveryState(tx, delivery.id, 'paused', input.now);
    input.metrics.deliveries.inc({ outcome: 'paused' });
    return;
  }
  await resumeQueued(tx, input.queue, delivery.webhookId, input.now);
}
