import type { JobQueue } from '../delivery';
import type { Tx } from '../storage/port';
import { setStateOfJobs } from './delivery-repository';
import { endpointKey, type Webhook } from './types';

// Two ways a subscription is INACTIVE, kept apart on purpose:
// - disabled automatically (disabled_at set, by the health policy in health.ts): the endpoint is
//   failing, not unwanted. Nothing is lost: its queued deliveries are parked in the queue (state
//   paused), new events still get paused deliveries, and setting it ACTIVE sends them all, unless
//   an admin discards them (POST …/deliveries/discard-paused).
// - set INACTIVE by an admin (disabled_at null): as in ABC, it gets nothing; deliveries already
//   queued fail as webhook_inactive and no new ones are created.

export const isPaused = (w: Pick<Webhook, 'status' | 'disabledAt'>): boolean => w.status === 'INACTIVE' && w.disabledAt !== null;

/**
 * Every change between paused and not for one subscription takes this lock first (disabling,
 * resuming, discarding, a paused delivery created or parked), then re-reads the subscription. On
 * PostgreSQL two instances could otherwise interleave a resume with the creation of a paused
 * delivery and leave it parked under an ACTIVE subscription, never sent.
 */
export function lockPause(tx: Tx, webhookId: number): Promise<void> {
  return tx.lock(`outbound:pause:${webhookId}`);
}

/** Parks the subscription's pending deliveries (running ones are parked by their handler). Returns how many. */
export async function pauseQueued(tx: Tx, queue: JobQueue, webhookId: number, now: number): Promise<number> {
  const jobIds = await queue.park(tx, endpointKey(webhookId), now);
  await setStateOfJobs(tx, jobIds, 'paused', now);
  return jobIds.length;
}

/** Sends the paused deliveries again: pending now, a full round of their policy each. Returns how many. */
export async function resumeQueued(tx: Tx, queue: JobQueue, webhookId: number, now: number): Promise<number> {
  const jobIds = await queue.unpark(tx, endpointKey(webhookId), now);
  await setStateOfJobs(tx, jobIds, 'pending', now);
  return jobIds.length;
}

/** Drops the paused deliveries (kept in the log as discarded; each can still be redelivered by hand). */
export async function discardQueued(tx: Tx, queue: JobQueue, webhookId: number, now: number): Promise<number> {
  const jobIds = await queue.discardParked(tx, endpointKey(webhookId), now, 'discarded by an admin while its subscription was paused');
  await setStateOfJobs(tx, jobIds, 'discarded', now);
  return jobIds.length;
}
