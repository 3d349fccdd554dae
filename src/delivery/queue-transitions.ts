import type { Tx } from '../storage/port';
import { fn, sql } from '../storage/sql';

// What a job's owner asks of the queue besides the worker's claim and outcomes: a new round for a
// finished job (requeue), and parking.
//
// Parking: jobs kept but never claimed, for work whose destination must not be tried for now (a
// subscriber disabled automatically). The claim only takes pending jobs and expired leases, so a
// paused job is invisible to it; each transition below is one statement guarded by the state it
// leaves, so it cannot race a claim into running a job twice: on PostgreSQL a row a claim has
// locked is waited for and re-checked (it is running by then, and left alone), and two unparks of
// one key find each row paused only once.

/**
 * Dead or succeeded → pending now. The attempt count is history and stays; max_attempts becomes
 * attempts + the policy's maxAttempts, so the job gets a full new round. The worker reads the
 * round's start back as max_attempts − policy.maxAttempts (attemptInRound), so the schedule
 * restarts at its first delay.
 */
export async function requeueJob(tx: Tx, id: number, now: number): Promise<boolean> {
  const job = await tx.get<{ attempts: number; policy: string }>(sql`SELECT attempts, policy FROM jobs WHERE id = ${id}`);
  if (job === undefined) return false;
  const { maxAttempts } = JSON.parse(job.policy) as { maxAttempts: number };
  const changed = await tx.run(sql`UPDATE jobs SET state = 'pending', run_at = ${now}, max_attempts = attempts + ${maxAttempts},
      locked_by = NULL, locked_until = NULL, finished_at = NULL, updated_at = ${now}
    WHERE id = ${id} AND state IN ('dead', 'succeeded')`);
  return changed > 0;
}

/** Removes jobs and their attempt logs, `chunk` ids per statement. */
export async function removeJobs(tx: Tx, jobIds: readonly number[], chunk: number): Promise<void> {
  for (let i = 0; i < jobIds.length; i += chunk) {
    const ids = jobIds.slice(i, i + chunk);
    await tx.run(sql`DELETE FROM job_attempts WHERE ${fn.inList(sql`job_id`, ids)}`);
    await tx.run(sql`DELETE FROM jobs WHERE ${fn.inList(sql`id`, ids)}`);
  }
}

const ids = (rows: Array<{ id: number }>): number[] => rows.map((r) => r.id).sort((a, b) => a - b);

/** Pending jobs of the key → paused. Running ones finish first (their owner parks them then). */
export async function parkJobs(tx: Tx, key: string, now: number): Promise<number[]> {
  return ids(
    await tx.all<{ id: number }>(sql`UPDATE jobs SET state = 'paused', updated_at = ${now}
      WHERE state = 'pending' AND concurrency_key = ${key}
      RETURNING id`),
  );
}

/**
 * Paused jobs of the key → pending now, each with a full new round as in a requeue (computed in
 * the statement: there may be thousands), now that its destination is expected back.
 */
export async function unparkJobs(tx: Tx, key: string, now: number): Promise<number[]> {
  return ids(
    await tx.all<{ id: number }>(sql`UPDATE jobs SET state = 'pending', run_at = ${now},
        max_attempts = attempts + ${fn.jsonNumber(sql`policy`, 'maxAttempts')}, updated_at = ${now}
      WHERE state = 'paused' AND concurrency_key = ${key}
      RETURNING id`),
  );
}

/** Paused jobs of the key → dead, finished now, with the reason as their last error. */
export async function discardParkedJobs(tx: Tx, key: string, now: number, reason: string): Promise<number[]> {
  return ids(
    await tx.all<{ id: number }>(sql`UPDATE jobs SET state = 'dead', finished_at = ${now}, last_error = ${reason}, updated_at = ${now}
      WHERE state = 'paused' AND concurrency_key = ${key}
      RETURNING id`),
  );
}
