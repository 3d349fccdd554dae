import type { DefaultJobOptions } from 'bullmq';

// What the BullMQ peers' processes share: their settings, read from the environment the bench
// gives them, and the job options a team would set.

/** The environment variable's value; a clear error when the bench did not set it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (the bench sets it when it starts this process)`);
  return value;
}

/**
 * Retried with backoff, failures kept for inspection. Completed purchase jobs are removed: once
 * applied the ledger holds the purchase, and a queue that keeps every job grows without bound.
 */
export const INGEST_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: false,
};

/** Deliveries keep every completed job with its result: the sender's attempt log. */
export const DELIVERY_JOB_OPTIONS: DefaultJobOptions = { ...INGEST_JOB_OPTIONS, removeOnComplete: false };

/** The ledger worker's jobs in flight: as many as the load's connections. */
export const LEDGER_CONCURRENCY = 50;

/** A backlog still there after this is reported as not drained rather than waited for. */
export const DRAIN_TIMEOUT_MS = 60_000;
