import type { Tx } from '../storage/port';

/** How a job is retried; stored with the job as JSON. See retry-policy.ts for the schedules. */
export type RetryPolicy =
  | { type: 'fixed'; intervalMs: number; maxAttempts: number }
  | {
      type: 'exponential';
      baseMs: number;
      factor: number;
      maxDelayMs: number;
      maxAttempts: number;
      /** full: uniform in [0, delay]; equal: delay/2 + uniform in [0, delay/2]; none: exact. */
      jitter: 'full' | 'equal' | 'none';
    };

/** paused: never claimed until its owner unparks it (JobQueue.unpark), e.g. while a subscriber is disabled. */
export type JobState = 'pending' | 'running' | 'succeeded' | 'dead' | 'paused';

export interface EnqueueInput<P = unknown> {
  kind: string;
  payload: P;
  policy: RetryPolicy;
  /** Earliest run time (ms); now when absent. */
  runAt?: number;
  concurrencyKey?: string | null;
  /** Enqueued paused: kept, never claimed until unparked. */
  paused?: boolean;
}

export interface ClaimedJob<P = unknown> {
  id: number;
  kind: string;
  payload: P;
  /** 1 for the first attempt (attempts is incremented by the claim). */
  attempt: number;
  maxAttempts: number;
  policy: RetryPolicy;
  concurrencyKey: string | null;
  /** The worker holding the lease; completion and failure apply only while it still does. */
  lockedBy: string;
  lockedUntil: number;
  /** When the job was due (the claim does not change it): due-to-start lag is claim time − runAt. */
  runAt: number;
  createdAt: number;
}

/** What one attempt saw, stored in job_attempts (the attempt log). */
export interface AttemptDetail {
  statusCode?: number | null;
  errorClass?: string | null;
  responseSnippet?: string | null;
  latencyMs?: number | null;
}

export interface JobContext {
  /** Stable across attempts: usable as an idempotency key towards a receiver. */
  jobId: number;
  attempt: number;
  /** Aborted when the worker is forced to stop or the job's lease runs out (another worker may take it). */
  signal: AbortSignal;
  now(): number;
}

export interface HandlerResult {
  /**
   * Runs in the same transaction that marks the job succeeded: effects and completion commit
   * together. If it throws, neither persists and the attempt counts as failed (retried per policy).
   * It does not run at all when the lease was lost to another worker meanwhile.
   */
  commit?: (tx: Tx) => Promise<void>;
  /**
   * What the handler's commitShared writes for this job, run after `commit` in the same
   * transaction: with the other successes of a group in one call, alone in a call of its own.
   */
  shared?: unknown;
  attempt?: AttemptDetail;
}

export interface FailureInfo {
  error: Error;
  attempt: number;
  /** False when this failure makes the job dead or parks it. */
  willRetry: boolean;
  /** The handler asked to park the job (JobError.park): it is paused, not dead. */
  parked?: boolean;
  nextRunAt: number | null;
}

export interface JobHandler<P = unknown> {
  kind: string;
  /**
   * Successes of this kind that finish together commit together: one transaction, one UPDATE of
   * the jobs and one insert of their attempts, then each job's commit in turn. If any of it throws,
   * the group is rolled back and each success is committed again on its own, so a failing commit
   * only fails its own job. The commits must not depend on running in a transaction of their own.
   */
  commitsTogether?: boolean;
  /**
   * Writes the `shared` values of successes (HandlerResult.shared) whose jobs completed in one
   * transaction, in one call: one statement for many jobs, where a commit each would be one per
   * job. A throw fails them as a commit's does (the group is then written job by job).
   */
  commitShared?(tx: Tx, shared: unknown[]): Promise<void>;
  handle(payload: P, ctx: JobContext): Promise<HandlerResult | void>;
  /**
   * Runs in the transaction that records the failure (e.g. to mark the source event failed/dead).
   * If it throws, its writes are undone and the failure is recorded without it (and logged).
   */
  onFailure?(tx: Tx, payload: P, failure: FailureInfo): Promise<void>;
  /** Runs after the success has been committed (metrics, notifications). */
  afterSuccess?(payload: P, job: ClaimedJob<P>): void;
}

/** A job as stored, for reads (admin API, tests): payload and policy parsed. */
export interface JobRecord<P = unknown> {
  id: number;
  kind: string;
  payload: P;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  policy: RetryPolicy;
  runAt: number;
  lockedBy: string | null;
  lockedUntil: number | null;
  lastError: string | null;
  concurrencyKey: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One row of the attempt log. */
export interface AttemptRecord {
  id: number;
  jobId: number;
  attempt: number;
  startedAt: number;
  finishedAt: number;
  outcome: 'succeeded' | 'failed';
  errorClass: string | null;
  errorMessage: string | null;
  statusCode: number | null;
  latencyMs: number | null;
  responseSnippet: string | null;
}
