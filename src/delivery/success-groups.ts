import type { Logger } from 'pino';
import type { Clock } from '../shared/clock';
import { toError } from '../shared/errors';
import type { Storage, Tx } from '../storage/port';
import type { JobQueue, OutcomeDetail } from './queue';
import type { ClaimedJob, HandlerResult, JobHandler } from './types';

/** A job whose handler succeeded, waiting for its outcome (and the handler's commit) to be written. */
export interface Success {
  job: ClaimedJob;
  handler: JobHandler;
  result: HandlerResult;
  startedAt: number;
}

/** What a success's attempt logs: the handler's detail, its latency measured here when it gave none. */
export function successDetail({ result, startedAt }: Pick<Success, 'result' | 'startedAt'>, now: number): OutcomeDetail {
  return { ...result.attempt, latencyMs: result.attempt?.latencyMs ?? now - startedAt, startedAt };
}

/**
 * The successes' shared values, one commitShared call per handler (in the order the handlers
 * first appear), after their commits.
 */
export async function commitShared(tx: Tx, successes: readonly Success[]): Promise<void> {
  const byHandler = new Map<JobHandler, unknown[]>();
  for (const { handler, result } of successes) {
    if (result.shared === undefined || handler.commitShared === undefined) continue;
    const values = byHandler.get(handler);
    if (values === undefined) byHandler.set(handler, [result.shared]);
    else values.push(result.shared);
  }
  for (const [handler, values] of byHandler) await handler.commitShared!(tx, values);
}

export interface SuccessGroupsDeps {
  storage: Pick<Storage, 'write' | 'writesInParallel'>;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** Records one success in a transaction of its own (the path every other job takes). */
  alone(success: Success): Promise<void>;
  /** After the group's commit, for each job it completed. */
  succeeded(success: Success): void;
  /** After the group's commit, for each job whose lease another attempt holds by then. */
  leaseLost(success: Success): void;
}

/**
 * Most successes in one transaction: it holds the write lock (and, on PostgreSQL, the row and
 * advisory locks of every job in it) until the last commit has run.
 */
export const MAX_GROUP = 64;

/**
 * Groups written at once where writes run in parallel. Each group's commits run one after the
 * other, each waiting on its statements' answers; on PostgreSQL several groups in flight keep the
 * applies overlapping, as separate transactions did, while each still saves most of its per-job
 * writes. Where writes take turns (SQLite), one group at a time: its commits never wait on the
 * network, and the successes that finish meanwhile make the next group larger.
 */
export const GROUPS_IN_FLIGHT = 8;

/** Fewest successes a group is given while more are waiting: below it a group saves little. */
const MIN_SHARE = 4;

/**
 * Successes of handlers that commit together (JobHandler.commitsTogether), written in groups: the
 * ones that finish in the same turn of the event loop, or while the previous group was being
 * written, share one transaction. Per job that saves a transaction (on PostgreSQL its BEGIN and
 * COMMIT; on SQLite a savepoint), the job's UPDATE and its attempt's INSERT.
 *
 * A group that fails as a whole (a commit threw; a deadlock between two groups whose events share
 * lock keys, which PostgreSQL breaks by failing one) is rolled back and each of its successes is
 * written alone, where a failing commit fails only its own job.
 */
export class SuccessGroups {
  private waiting: Array<{ success: Success; resolve(): void }> = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxInFlight: number;

  constructor(private readonly deps: SuccessGroupsDeps) {
    this.maxInFlight = deps.storage.writesInParallel ? GROUPS_IN_FLIGHT : 1;
  }

  /** Resolves once the success is recorded (or its failure is: see JobRunner). Never rejects. */
  add(success: Success): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ success, resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // After the current turn: every job finishing in it joins a group.
    setImmediate(() => {
      this.scheduled = false;
      // What is waiting, shared evenly among the free slots.
      while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
        const share = Math.ceil(this.waiting.length / (this.maxInFlight - this.inFlight));
        const size = Math.min(MAX_GROUP, Math.max(MIN_SHARE, share));
        void this.writeGroup(this.waiting.splice(0, size));
      }
    });
  }

  private async writeGroup(group: Array<{ success: Success; resolve(): void }>): Promise<void> {
    this.inFlight += 1;
    try {
      await this.write(group.map((entry) => entry.success));
    } finally {
      this.inFlight -= 1;
      for (const entry of group) entry.resolve();
      if (this.waiting.length > 0) this.schedule();
    }
  }

  private async write(group: Success[]): Promise<void> {
    const { storage, queue, clock, logger } = this.deps;
    if (group.length === 1) return this.deps.alone(group[0]!);
    let completed: Set<number>;
    try {
      completed = await storage.write(async (tx) => {
        const now = clock.now();
        const jobs = group.map((success) => ({ job: success.job, detail: successDetail(success, now) }));
        // Completion first, as alone: a job whose lease was lost gets none of its commit written.
        const done = await queue.completeMany(tx, jobs, now);
        const kept = group.filter((success) => done.has(success.job.id));
        for (const { result } of kept) await result.commit?.(tx);
        await commitShared(tx, kept);
        return done;
      });
    } catch (thrown) {
      const message = 'a group of successes failed as a whole; recording each on its own';
      logger.debug({ jobs: group.length, error: toError(thrown).message }, message);
      await Promise.all(group.map((success) => this.deps.alone(success)));
      return;
    }
    for (const success of group) {
      if (completed.has(success.job.id)) this.deps.succeeded(success);
      else this.deps.leaseLost(success);
    }
  }
}
