import type { Logger } from 'pino';
import { JobError, type FailureInfo } from '../delivery';
import type { Tx } from '../storage/port';
import { findDelivery, setDeliveryState } from './delivery-repository';
import type { OutboundMetrics } from './metrics';
import type { DeliveryState } from './types';
import { addFailure, disableWebhook } from './webhook-repository';

// Classes that say nothing about the endpoint's health: nothing was sent.
const NOT_SENT = new Set(['webhook_inactive', 'missing']);

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

/**
 * Why a subscription should be disabled after a delivery ended, or null. 410 Gone is the
 * receiver saying the endpoint will never come back; `disableAfter` endings in a row is an
 * endpoint that keeps failing: sending more would only fill the queue and the attempt log.
 */
export function disableReason(errorClass: string | null | undefined, failuresInARow: number, disableAfter: number): string | null {
  if (errorClass === 'gone') return 'the endpoint answered 410 Gone';
  if (failuresInARow >= disableAfter) return `${failuresInARow} deliveries in a row failed`;
  return null;
}

export interface EndingInput {
  deliveryId: string;
  failure: FailureInfo;
  now: number;
  disableAfter: number;
  logger: Logger;
  metrics: OutboundMetrics;
}

/** Runs in the transaction recording the failed attempt. */
export async function recordEnding(tx: Tx, input: EndingInput): Promise<void> {
  const delivery = await findDelivery(tx, input.deliveryId);
  if (!delivery) return;
  const state = endingState(input.failure);
  await setDeliveryState(tx, delivery.id, state, input.now);
  input.metrics.deliveries.inc({ outcome: state === 'pending' ? 'retry' : state });
  if (state === 'pending') return;
  const errorClass = input.failure.error instanceof JobError ? input.failure.error.detail.errorClass : null;
  if (errorClass !== null && errorClass !== undefined && NOT_SENT.has(errorClass)) return;
  const inARow = await addFailure(tx, delivery.webhookId);
  const reason = disableReason(errorClass, inARow, input.disableAfter);
  if (reason === null || !(await disableWebhook(tx, delivery.webhookId, reason, input.now))) return;
  input.logger.warn({ webhookId: delivery.webhookId, deliveryId: delivery.id, reason }, 'subscription disabled automatically');
  input.metrics.disabled.inc({ reason: errorClass === 'gone' ? 'gone' : 'failing' });
}
