import type { ClaimSql, Queryable, Tx } from '../storage/port';
import { fn, sql, type Sql } from '../storage/sql';
import { cappedWakeAt, queueStats, wakeAt, type KindStateStats } from './queue-reads';
import {
  ATTEMPT_COLUMNS,
  errorMessageOf,
  insertAttempt,
  insertAttempts,
  powerOfTwoParts,
  toClaimedJob,
  toJobRecord,
  type AttemptLogInput,
  type JobRow,
} from './queue-rows';
import { discardParkedJobs, parkJobs, removeJobs, requeueJob, unparkJobs } from './queue-transitions';
import { assertValidPolicy } from './retry-policy';
import type { AttemptDetail, AttemptRecord, ClaimedJob, EnqueueInput, JobRecord, JobState } from './types';

export type { KindStateStats } from './queue-reads';

export interface ClaimOptions {
  workerId: string;
  limit: number;
  now: number;
  leaseMs: number;
  /** Only these kinds; all kinds when absent. */
  kinds?: readonly string[];
  /** Most jobs running at once per concurrency key (an endpoint), across every instance; uncapped when absent. */
  perKeyLimit?: number;
}

/** What an outcome needs to know about the claim: which lease it is (see the guard in fail/complete). */
export type LeaseRef = Pick<ClaimedJob, 'id' | 'attempt' | 'lockedBy'>;

export type OutcomeDetail = AttemptDetail & { startedAt?: number };

export interface FailureRecord {
  error: Error;
  detail?: OutcomeDetail;
  /** When to try again; null makes the job dead (or paused, with park). */
  nextRunAt: number | null;
  /** Pause the job instead: it is not claimed again until unpark. */
  park?: boolean;
}

/** A job's state for views of what it carries (a delivery's attempt log). */
export interface JobStatus {
  id: number;
  state: JobState;
  runAt: number;
}

/**
 * How many running jobs whose lease expired a capped claim looks at, as a multiple of its limit
 * (its pending jobs it reads per key, a key's cap at most: see the dialects' cappedClaim).
 */
export const CLAIM_WINDOW_FACTOR = 4;

/**
 * The durable queue: the only code that touches the jobs and job_attempts tables. Writes take the
 * caller's transaction, so a job enqueued in a change commits (or rolls back) with it; reads take
 * any handle. Outbound and the inspector read attempts and job states through the methods below.
 */
export interface JobQueue {
  enqueue<P>(tx: Tx, input: EnqueueInput<P>, now: number): Promise<number>;
  /**
   * Enqueues only if `condition` (a portable SQL boolean) holds when the insert runs; null when it
   * did not. Lets a caller send a job together with the statement that decides whether it is
   * wanted (an event inserted in the same round trip), instead of waiting for that answer first.
   */
  enqueueIf<P>(tx: Tx, input: EnqueueInput<P>, now: number, condition: Sql): Promise<number | null>;
  /**
   * The statement enqueue (or, with a condition, enqueueIf) runs, an INSERT … RETURNING id, for a
   * caller that sends it as part of a larger one: a WITH clause, where the backend allows writes there.
   */
  enqueueStatement<P>(input: EnqueueInput<P>, now: number, condition?: Sql): Sql;
  claim(tx: Tx, options: ClaimOptions): Promise<ClaimedJob[]>;
  /** False when the lease was lost (expired and re-claimed): nothing was written. */
  complete(tx: Tx, job: LeaseRef, now: number, detail?: OutcomeDetail): Promise<boolean>;
  /**
   * complete() for many jobs in two statements. Returns the ids completed; a job whose lease was
   * lost is left out and nothing of it is written.
   */
  completeMany(tx: Tx, jobs: ReadonlyArray<{ job: LeaseRef; detail?: OutcomeDetail }>, now: number): Promise<Set<number>>;
  /** False when the lease was lost: nothing was written. */
  fail(tx: Tx, job: LeaseRef, now: number, failure: FailureRecord): Promise<boolean>;
  /**
   * Earliest pending run_at or running locked_until: when a claim could next find work. With a
   * per-key cap, pending jobs of keys that have no free slot at `now` are left out.
   */
  nextWakeAt(db: Queryable, kinds?: readonly string[], cap?: { now: number; perKeyLimit: number }): Promise<number | null>;
  /** Pending, running, paused and dead jobs by kind (finished ones are not read). */
  stats(db: Queryable, now: number): Promise<KindStateStats[]>;
  get(db: Queryable, id: number): Promise<JobRecord | null>;
  attempts(db: Queryable, jobId: number): Promise<AttemptRecord[]>;
  /** Attempt logs of several jobs, oldest first, by job id. */
  attemptsOf(db: Queryable, jobIds: readonly number[]): Promise<Map<number, AttemptRecord[]>>;
  /** State and due time of several jobs, by job id. */
  statusOf(db: Queryable, jobIds: readonly number[]): Promise<Map<number, JobStatus>>;
  /** Dead or succeeded → pending now, with a full new round of attempts. False for other states. */
  requeue(tx: Tx, id: number, now: number): Promise<boolean>;
  /** Removes jobs and their attempt logs (their owner is gone: a pending retry must not fire). */
  remove(tx: Tx, jobIds: readonly number[]): Promise<void>;
  /**
   * Pending jobs of a concurrency key → paused: kept, never claimed until unparked. Running jobs
   * are left to finish (their handler parks them when it finds the key still paused). Returns the
   * ids paused. These transitions live in queue-transitions.ts.
   */
  park(tx: Tx, concurrencyKey: string, now: number): Promise<number[]>;
  /** Paused jobs of a key → pending now, each with a full new round of its policy. Returns their ids. */
  unpark(tx: Tx, concurrencyKey: string, now: number): Promise<number[]>;
  /** Paused jobs of a key → dead, with the reason as their last error (their owner discarded them). Returns their ids. */
  discardParked(tx: Tx, concurrencyKey: string, now: number, reason: string): Promise<number[]>;
}

// Ids per statement for the lists above: well below either engine's parameter limit.
const CHUNK = 500;

async function chunked<T>(ids: readonly number[], read: (chunk: number[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await read(ids.slice(i, i + CHUNK))));
  return out;
}

/**
 * The guard every outcome shares: still ours, still this attempt (a re-claim bumps attempts).
 * locked_by is set by a claim and cleared by every way out of running (complete, fail, requeue),
 * so holding it means running. The state is not named: `state = 'running'` matches the running
 * jobs' partial index, which PostgreSQL then chose over the primary key in plans cached while the
 * table was small, stepping over every dead entry of that busy index on each outcome.
 */
const leaseHeld = (job: LeaseRef) => sql`id = ${job.id} AND locked_by = ${job.lockedBy} AND attempts = ${job.attempt}`;

/** A running job's lease as one text value, for a list of them in one statement. */
const LEASE_TEXT = sql`CAST(id AS TEXT) || ':' || CAST(attempts AS TEXT) || ':' || locked_by`;
const leaseText = (job: LeaseRef) => `${job.id}:${job.attempt}:${job.lockedBy}`;

/** A job's INSERT … RETURNING id; with a condition, inserted only where it holds. */
function insertJobStatement<P>(input: EnqueueInput<P>, now: number, condition: Sql | null): Sql {
  assertValidPolicy(input.policy);
  const state = input.paused === true ? 'paused' : 'pending';
  // JSON.stringify(undefined) is undefined, which the NOT NULL column would reject.
  const values = sql`${input.kind}, ${JSON.stringify(input.payload ?? null)}, ${state}, ${input.policy.maxAttempts}, ${JSON.stringify(input.policy)},
      ${input.runAt ?? now}, ${input.concurrencyKey ?? null}, ${now}, ${now}`;
  const columns = sql`INSERT INTO jobs (kind, payload, state, max_attempts, policy, run_at, concurrency_key, created_at, updated_at)`;
  return condition === null ? sql`${columns} VALUES (${values}) RETURNING id` : sql`${columns} SELECT ${values} WHERE ${condition} RETURNING id`;
}

/** One queue for both backends: portable SQL, with the claim's locking from the backend (ClaimSql). */
export class SqlJobQueue implements JobQueue {
  constructor(private readonly claims: ClaimSql) {}

  async enqueue<P>(tx: Tx, input: EnqueueInput<P>, now: number): Promise<number> {
    const id = await this.insertJob(tx, input, now, null);
    if (id === null) throw new Error('enqueue: the insert returned no row');
    return id;
  }

  enqueueIf<P>(tx: Tx, input: EnqueueInput<P>, now: number, condition: Sql): Promise<number | null> {
    return this.insertJob(tx, input, now, condition);
  }

  enqueueStatement<P>(input: EnqueueInput<P>, now: number, condition?: Sql): Sql {
    return insertJobStatement(input, now, condition ?? null);
  }

  private async insertJob<P>(tx: Tx, input: EnqueueInput<P>, now: number, condition: Sql | null): Promise<number | null> {
    const row = await tx.get<{ id: number }>(insertJobStatement(input, now, condition));
    return row?.id ?? null;
  }

  async claim(tx: Tx, options: ClaimOptions): Promise<ClaimedJob[]> {
    if (options.limit <= 0 || options.kinds?.length === 0) return [];
    const query = { workerId: options.workerId, now: options.now, leaseMs: options.leaseMs, limit: options.limit, kinds: options.kinds ?? null };
    let rows: JobRow[];
    if (options.perKeyLimit === undefined) {
      rows = await tx.all<JobRow>(this.claims.claim(query));
    } else {
      await this.claims.lockCappedClaim(tx);
      rows = await tx.all<JobRow>(this.claims.cappedClaim({ ...query, perKeyLimit: options.perKeyLimit, window: options.limit * CLAIM_WINDOW_FACTOR }));
    }
    // RETURNING order is unspecified; hand jobs out in due order.
    return rows.sort((a, b) => a.run_at - b.run_at || a.id - b.id).map(toClaimedJob);
  }

  async complete(tx: Tx, job: LeaseRef, now: number, detail: OutcomeDetail = {}): Promise<boolean> {
    const changed = await tx.run(sql`UPDATE jobs SET state = 'succeeded', finished_at = ${now}, updated_at = ${now}, locked_by = NULL, locked_until = NULL
      WHERE ${leaseHeld(job)}`);
    if (changed === 0) return false;
    await this.logAttempt(tx, { job, startedAt: detail.startedAt ?? now, finishedAt: now, outcome: 'succeeded', detail });
    return true;
  }

  async completeMany(tx: Tx, jobs: ReadonlyArray<{ job: LeaseRef; detail?: OutcomeDetail }>, now: number): Promise<Set<number>> {
    if (jobs.length === 0) return new Set();
    // The lease guard of complete() for a list: one bound list of ids (the primary key finds them)
    // and one of leases, both constant text whatever the list's length.
    const ids = jobs.map(({ job }) => job.id);
    const leases = jobs.map(({ job }) => leaseText(job));
    const done = await tx.all<{ id: number }>(sql`UPDATE jobs SET state = 'succeeded', finished_at = ${now}, updated_at = ${now}, locked_by = NULL,
        locked_until = NULL
      WHERE ${fn.inList(sql`id`, ids)} AND ${fn.inList(LEASE_TEXT, leases)}
      RETURNING id`);
    const completed = new Set(done.map((row) => Number(row.id)));
    const logged = jobs
      .filter(({ job }) => completed.has(job.id))
      .map(({ job, detail = {} }): AttemptLogInput => ({ job, startedAt: detail.startedAt ?? now, finishedAt: now, outcome: 'succeeded', detail }));
    const inserts: Array<Promise<number>> = [];
    let offset = 0;
    for (const size of powerOfTwoParts(logged.length)) {
      inserts.push(tx.run(insertAttempts(logged.slice(offset, offset + size))));
      offset += size;
    }
    // Sent together: on PostgreSQL they share a round trip.
    await Promise.all(inserts);
    return completed;
  }

  async fail(tx: Tx, job: LeaseRef, now: number, failure: FailureRecord): Promise<boolean> {
    const retry = failure.nextRunAt !== null;
    const next =
      failure.park === true ? sql`state = 'paused'` : retry ? sql`state = 'pending', run_at = ${failure.nextRunAt}` : sql`state = 'dead', finished_at = ${now}`;
    const changed = await tx.run(sql`UPDATE jobs SET ${next}, last_error = ${errorMessageOf(failure.error)}, locked_by = NULL, locked_until = NULL,
        updated_at = ${now}
      WHERE ${leaseHeld(job)}`);
    if (changed === 0) return false;
    const detail = failure.detail ?? {};
    await this.logAttempt(tx, {
      job,
      startedAt: detail.startedAt ?? now,
      finishedAt: now,
      outcome: 'failed',
      detail: { ...detail, errorClass: detail.errorClass ?? failure.error.name },
      errorMessage: failure.error.message,
    });
    return true;
  }

  nextWakeAt(db: Queryable, kinds?: readonly string[], cap?: { now: number; perKeyLimit: number }): Promise<number | null> {
    return cap ? cappedWakeAt(db, { ...cap, kinds }) : wakeAt(db, kinds);
  }

  stats(db: Queryable, now: number): Promise<KindStateStats[]> {
    return queueStats(db, now);
  }

  async get(db: Queryable, id: number): Promise<JobRecord | null> {
    const row = await db.get<JobRow>(sql`SELECT * FROM jobs WHERE id = ${id}`);
    return row ? toJobRecord(row) : null;
  }

  async attempts(db: Queryable, jobId: number): Promise<AttemptRecord[]> {
    return (await this.attemptsOf(db, [jobId])).get(jobId) ?? [];
  }

  async attemptsOf(db: Queryable, jobIds: readonly number[]): Promise<Map<number, AttemptRecord[]>> {
    const rows = await chunked(jobIds, (chunk) =>
      db.all<AttemptRecord>(sql`SELECT ${ATTEMPT_COLUMNS} FROM job_attempts WHERE ${fn.inList(sql`job_id`, chunk)}
        ORDER BY job_id, attempt, id`),
    );
    const grouped = new Map<number, AttemptRecord[]>();
    for (const row of rows) grouped.set(row.jobId, [...(grouped.get(row.jobId) ?? []), row]);
    return grouped;
  }

  async statusOf(db: Queryable, jobIds: readonly number[]): Promise<Map<number, JobStatus>> {
    const rows = await chunked(jobIds, (chunk) => db.all<JobStatus>(sql`SELECT id, state, run_at AS "runAt" FROM jobs WHERE ${fn.inList(sql`id`, chunk)}`));
    return new Map(rows.map((row) => [row.id, row]));
  }

  requeue(tx: Tx, id: number, now: number): Promise<boolean> {
    return requeueJob(tx, id, now);
  }

  remove(tx: Tx, jobIds: readonly number[]): Promise<void> {
    return removeJobs(tx, jobIds, CHUNK);
  }

  park(tx: Tx, concurrencyKey: string, now: number): Promise<number[]> {
    return parkJobs(tx, concurrencyKey, now);
  }

  unpark(tx: Tx, concurrencyKey: string, now: number): Promise<number[]> {
    return unparkJobs(tx, concurrencyKey, now);
  }

  discardParked(tx: Tx, concurrencyKey: string, now: number, reason: string): Promise<number[]> {
    return discardParkedJobs(tx, concurrencyKey, now, reason);
  }

  private async logAttempt(tx: Tx, input: AttemptLogInput): Promise<void> {
    await tx.run(insertAttempt(input));
  }
}
