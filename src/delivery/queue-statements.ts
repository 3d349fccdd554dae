import { and, eq, inArray, lte, or, sql, type Placeholder } from 'drizzle-orm';
import { jobAttempts, jobs } from '../storage/sqlite/schema';
import type { Db } from '../storage/sqlite/database';

const p = (name: string) => sql.placeholder(name);

/** What a claim writes: the lease (who, until when) and one more attempt. Shared by both claims. */
export function leaseColumns() {
  const now = p('now');
  return {
    state: 'running',
    lockedBy: sql`${p('workerId')}`,
    lockedUntil: sql`${now} + ${p('leaseMs')}`,
    attempts: sql`${jobs.attempts} + 1`,
    updatedAt: sql`${now}`,
  } as const;
}

/**
 * The claim, one statement: pick due jobs (pending and due, or running with an expired lease, which
 * is how a crashed process's jobs come back) and lease them. One UPDATE … WHERE id IN (SELECT …)
 * cannot hand a job to two claimers, and the expired-lease branch needs no separate reaper.
 * Kinds are passed as a JSON array so a single prepared statement serves any filter.
 */
function prepareClaim(db: Db, withKinds: boolean) {
  const now = p('now');
  const due = or(
    and(eq(jobs.state, 'pending'), lte(jobs.runAt, now)),
    and(eq(jobs.state, 'running'), lte(jobs.lockedUntil, now)),
  );
  const where = withKinds ? and(due, sql`${jobs.kind} IN (SELECT value FROM json_each(${p('kinds')}))`) : due;
  const candidates = db.select({ id: jobs.id }).from(jobs).where(where).orderBy(jobs.runAt, jobs.id).limit(p('limit'));
  return db
    .update(jobs)
    .set(leaseColumns())
    .where(inArray(jobs.id, candidates))
    .returning()
    .prepare();
}

/** The guard every outcome shares: still ours, still this attempt (a re-claim bumps attempts). */
export function leaseHeld(id: number | Placeholder, workerId: string | Placeholder, attempt: number | Placeholder) {
  return and(eq(jobs.id, id), eq(jobs.state, 'running'), eq(jobs.lockedBy, workerId), eq(jobs.attempts, attempt));
}

function prepareComplete(db: Db) {
  const now = p('now');
  return db
    .update(jobs)
    .set({ state: 'succeeded', finishedAt: sql`${now}`, updatedAt: sql`${now}`, lockedBy: null, lockedUntil: null })
    .where(leaseHeld(p('id'), p('workerId'), p('attempt')))
    .prepare();
}

function prepareLogAttempt(db: Db) {
  return db
    .insert(jobAttempts)
    .values({
      jobId: sql`${p('jobId')}`,
      attempt: sql`${p('attempt')}`,
      startedAt: sql`${p('startedAt')}`,
      finishedAt: sql`${p('finishedAt')}`,
      outcome: sql`${p('outcome')}`,
      errorClass: sql`${p('errorClass')}`,
      errorMessage: sql`${p('errorMessage')}`,
      statusCode: sql`${p('statusCode')}`,
      latencyMs: sql`${p('latencyMs')}`,
      responseSnippet: sql`${p('responseSnippet')}`,
    })
    .prepare();
}

/** The enqueue runs once per accepted webhook, inside the ingest transaction: prepared once. */
function prepareEnqueue(db: Db) {
  return db
    .insert(jobs)
    .values({
      kind: p('kind'),
      payload: p('payload'),
      maxAttempts: p('maxAttempts'),
      policy: p('policy'),
      runAt: p('runAt'),
      concurrencyKey: p('concurrencyKey'),
      createdAt: p('now'),
      updatedAt: p('now'),
    })
    .returning({ id: jobs.id })
    .prepare();
}

function prepareAll(db: Db) {
  return {
    enqueue: prepareEnqueue(db),
    claim: prepareClaim(db, false),
    claimKinds: prepareClaim(db, true),
    complete: prepareComplete(db),
    logAttempt: prepareLogAttempt(db),
  };
}

export type Statements = ReturnType<typeof prepareAll>;

/**
 * Prepared statements per connection. Kept by the queue instance, keyed weakly by the drizzle
 * handle, so a closed test database takes its statements with it.
 */
export class StatementCache {
  private readonly byDb = new WeakMap<Db, Statements>();

  for(db: Db): Statements {
    let statements = this.byDb.get(db);
    if (!statements) {
      statements = prepareAll(db);
      this.byDb.set(db, statements);
    }
    return statements;
  }
}
