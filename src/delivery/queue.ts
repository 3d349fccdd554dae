import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { jobAttempts, jobs } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';
import { queueStats, wakeAt, type KindStateStats } from './queue-reads';
import { attemptRow, errorMessageOf, toAttemptRecord, toClaimedJob, toJobRecord, type AttemptLogInput } from './queue-rows';
import { cappedWakeAt, prepareCappedClaim } from './queue-capped';
import { leaseHeld, StatementCache } from './queue-statements';
import { assertValidPolicy } from './retry-policy';
import type { AttemptDetail, AttemptRecord, ClaimedJob, EnqueueInput, JobRecord } from './types';

export type { KindStateStats } from './queue-reads';

export interface ClaimOptions {
  workerId: string;
  limit: number;
  now: number;
  leaseMs: number;
  /** Only these kinds; all kinds when absent. */
  kinds?: readonly string[];
  /** Most jobs running at once per concurrency key (an endpoint); uncapped when absent. */
  perKeyLimit?: number;
}

/** What an outcome needs to know about the claim: which lease it is (see the guard in fail/complete). */
export type LeaseRef = Pick<ClaimedJob, 'id' | 'attempt' | 'lockedBy'>;

export type OutcomeDetail = AttemptDetail & { startedAt?: number };

export interface FailureRecord {
  error: Error;
  detail?: OutcomeDetail;
  /** When to try again; null makes the job dead. */
  nextRunAt: number | null;
}

/**
 * The durable queue. Every method is synchronous and takes the db handle so it can run inside a
 * caller's GroupCommitter closure: a job enqueued there commits (or rolls back) with the caller's
 * own writes. Writes must go through the committer; reads may use the plain handle.
 */
export interface JobQueue {
  enqueue<P>(db: Db, input: EnqueueInput<P>, now: number): number;
  claim(db: Db, options: ClaimOptions): ClaimedJob[];
  /** False when the lease was lost (expired and re-claimed): nothing was written. */
  complete(db: Db, job: LeaseRef, now: number, detail?: OutcomeDetail): boolean;
  /** False when the lease was lost: nothing was written. */
  fail(db: Db, job: LeaseRef, now: number, failure: FailureRecord): boolean;
  /**
   * Earliest pending run_at or running locked_until: when a claim could next find work. With a
   * per-key cap, pending jobs of keys that have no free slot at `now` are left out.
   */
  nextWakeAt(db: Db, kinds?: readonly string[], cap?: { now: number; perKeyLimit: number }): number | null;
  stats(db: Db, now: number): KindStateStats[];
  get(db: Db, id: number): JobRecord | null;
  attempts(db: Db, jobId: number): AttemptRecord[];
  /** Dead or succeeded → pending now, with a full new round of attempts. False for other states. */
  requeue(db: Db, id: number, now: number): boolean;
}

export class SqliteJobQueue implements JobQueue {
  private readonly statements = new StatementCache();
  private readonly cappedClaims = new WeakMap<Db, ReturnType<typeof prepareCappedClaim>>();

  enqueue<P>(db: Db, input: EnqueueInput<P>, now: number): number {
    assertValidPolicy(input.policy);
    const row = this.statements.for(db).enqueue.get({
      kind: input.kind,
      // JSON.stringify(undefined) is undefined, which the NOT NULL column would reject.
      payload: JSON.stringify(input.payload ?? null),
      maxAttempts: input.policy.maxAttempts,
      policy: JSON.stringify(input.policy),
      runAt: input.runAt ?? now,
      concurrencyKey: input.concurrencyKey ?? null,
      now,
    });
    if (row === undefined) throw new Error('enqueue: the insert returned no row');
    return row.id;
  }

  claim(db: Db, options: ClaimOptions): ClaimedJob[] {
    if (options.limit <= 0 || options.kinds?.length === 0) return [];
    const { claim, claimKinds } = this.statements.for(db);
    const values = { now: options.now, leaseMs: options.leaseMs, workerId: options.workerId, limit: options.limit };
    const kinds = options.kinds ? JSON.stringify(options.kinds) : null;
    const rows =
      options.perKeyLimit !== undefined
        ? this.cappedClaim(db).all({ ...values, kinds, perKeyLimit: options.perKeyLimit })
        : kinds !== null
          ? claimKinds.all({ ...values, kinds })
          : claim.all(values);
    // RETURNING order is unspecified; hand jobs out in due order.
    return rows.sort((a, b) => a.runAt - b.runAt || a.id - b.id).map(toClaimedJob);
  }

  complete(db: Db, job: LeaseRef, now: number, detail: OutcomeDetail = {}): boolean {
    const statements = this.statements.for(db);
    const result = statements.complete.run({ now, id: job.id, workerId: job.lockedBy, attempt: job.attempt });
    if (result.changes === 0) return false;
    this.logAttempt(db, { job, startedAt: detail.startedAt ?? now, finishedAt: now, outcome: 'succeeded', detail });
    return true;
  }

  fail(db: Db, job: LeaseRef, now: number, failure: FailureRecord): boolean {
    const retry = failure.nextRunAt !== null;
    const result = db
      .update(jobs)
      .set({
        state: retry ? 'pending' : 'dead',
        ...(retry ? { runAt: failure.nextRunAt ?? now } : { finishedAt: now }),
        lastError: errorMessageOf(failure.error),
        lockedBy: null,
        lockedUntil: null,
        updatedAt: now,
      })
      .where(leaseHeld(job.id, job.lockedBy, job.attempt))
      .run();
    if (result.changes === 0) return false;
    const detail = failure.detail ?? {};
    this.logAttempt(db, {
      job,
      startedAt: detail.startedAt ?? now,
      finishedAt: now,
      outcome: 'failed',
      detail: { ...detail, errorClass: detail.errorClass ?? failure.error.name },
      errorMessage: failure.error.message,
    });
    return true;
  }

  nextWakeAt(db: Db, kinds?: readonly string[], cap?: { now: number; perKeyLimit: number }): number | null {
    return cap ? cappedWakeAt(db, { ...cap, kinds }) : wakeAt(db, kinds);
  }

  private cappedClaim(db: Db): ReturnType<typeof prepareCappedClaim> {
    let statement = this.cappedClaims.get(db);
    if (!statement) {
      statement = prepareCappedClaim(db);
      this.cappedClaims.set(db, statement);
    }
    return statement;
  }

  stats(db: Db, now: number): KindStateStats[] {
    return queueStats(db, now);
  }

  get(db: Db, id: number): JobRecord | null {
    const row = db.select().from(jobs).where(eq(jobs.id, id)).get();
    return row ? toJobRecord(row) : null;
  }

  attempts(db: Db, jobId: number): AttemptRecord[] {
    const rows = db
      .select()
      .from(jobAttempts)
      .where(eq(jobAttempts.jobId, jobId))
      .orderBy(asc(jobAttempts.attempt), asc(jobAttempts.id))
      .all();
    return rows.map(toAttemptRecord);
  }

  /**
   * The attempt count is history and stays; max_attempts becomes attempts + the policy's
   * maxAttempts, so the job gets a full new round. The worker reads the round's start back as
   * max_attempts − policy.maxAttempts (attemptInRound), so the schedule restarts at its first delay.
   */
  requeue(db: Db, id: number, now: number): boolean {
    const result = db
      .update(jobs)
      .set({
        state: 'pending',
        runAt: now,
        maxAttempts: sql`${jobs.attempts} + json_extract(${jobs.policy}, '$.maxAttempts')`,
        lockedBy: null,
        lockedUntil: null,
        finishedAt: null,
        updatedAt: now,
      })
      .where(and(eq(jobs.id, id), inArray(jobs.state, ['dead', 'succeeded'])))
      .run();
    return result.changes > 0;
  }

  private logAttempt(db: Db, input: AttemptLogInput): void {
    this.statements.for(db).logAttempt.run(attemptRow(input));
  }
}
