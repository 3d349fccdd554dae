import type { Logger } from 'pino';
import type { Clock } from '../shared/clock';
import { toError } from '../shared/errors';
import type { Storage } from '../storage/port';
import { failureDetail, JobError } from './job-error';
import type { FailureRecord, JobQueue } from './queue';
import { attemptInRound, nextAttempt } from './retry-policy';
import { commitShared, successDetail, SuccessGroups, type Success } from './success-groups';
import type { ClaimedJob, FailureInfo, HandlerResult, JobHandler } from './types';

export interface WorkerObserver {
  jobSucceeded?(kind: string, ms: number): void;
  jobFailed?(kind: string, willRetry: boolean): void;
  /** The handler parked the job (JobError.park): it waits, paused, for its owner. */
  jobParked?(kind: string): void;
}

export interface JobRunnerDeps {
  storage: Pick<Storage, 'write' | 'writesInParallel'>;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  random: () => number;
  handlers: ReadonlyMap<string, JobHandler>;
  observer?: WorkerObserver;
}

/**
 * Runs one claimed job: the handler outside any transaction, then its outcome in one committer
 * closure. Never rejects: every failure ends up in the queue or, if even that fails, in the log
 * (the lease then expires and the job is claimed again).
 */
export class JobRunner {
  private readonly groups: SuccessGroups;

  constructor(private readonly deps: JobRunnerDeps) {
    this.groups = new SuccessGroups({
      storage: deps.storage,
      queue: deps.queue,
      clock: deps.clock,
      logger: deps.logger,
      alone: (success) => this.recordSuccessAlone(success),
      succeeded: ({ job, handler, startedAt }) => this.succeeded(job, handler, startedAt),
      leaseLost: ({ job }) => this.leaseLost(job, 'success'),
    });
  }

  async run(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps;
    const startedAt = clock.now();
    const handler = this.deps.handlers.get(job.kind);
    if (!handler) return this.recordFailure(job, undefined, unknownKind(job), startedAt);
    const exhausted = exhaustedByCrash(job);
    if (exhausted) return this.recordFailure(job, handler, exhausted, startedAt);
    let result: HandlerResult | void;
    try {
      result = await handler.handle(job.payload, { jobId: job.id, attempt: job.attempt, signal, now: () => clock.now() });
    } catch (thrown) {
      return this.recordFailure(job, handler, toError(thrown), startedAt);
    }
    await this.recordSuccess(job, handler, result ?? {}, startedAt);
  }

  private recordSuccess(job: ClaimedJob, handler: JobHandler, result: HandlerResult, startedAt: number): Promise<void> {
    const success = { job, handler, result, startedAt };
    return handler.commitsTogether === true ? this.groups.add(success) : this.recordSuccessAlone(success);
  }

  private async recordSuccessAlone(success: Success): Promise<void> {
    const { job, handler, result, startedAt } = success;
    const { storage, queue, clock } = this.deps;
    let applied: boolean;
    try {
      // Completion first: if the lease was lost nothing of the handler's commit is written either.
      // Both run in one transaction (a savepoint on SQLite), so a throwing commit also undoes the completion.
      applied = await storage.write(async (tx) => {
        const now = clock.now();
        if (!(await queue.complete(tx, job, now, successDetail(success, now)))) return false;
        await result.commit?.(tx);
        await commitShared(tx, [success]);
        return true;
      });
    } catch (thrown) {
      return this.recordFailure(job, handler, toError(thrown), startedAt);
    }
    if (!applied) return this.leaseLost(job, 'success');
    this.succeeded(job, handler, startedAt);
  }

  private succeeded(job: ClaimedJob, handler: JobHandler, startedAt: number): void {
    const ms = this.deps.clock.now() - startedAt;
    this.deps.logger.debug({ jobId: job.id, kind: job.kind, attempt: job.attempt, ms }, 'job succeeded');
    this.safely('afterSuccess', job, () => handler.afterSuccess?.(job.payload, job));
    this.safely('observer', job, () => this.deps.observer?.jobSucceeded?.(job.kind, ms));
  }

  private async recordFailure(job: ClaimedJob, handler: JobHandler | undefined, error: Error, startedAt: number): Promise<void> {
    const { record, info } = this.decide(job, error, startedAt);
    const outcome = await this.commitFailure(job, handler, record, info);
    if (outcome === 'lost') return this.leaseLost(job, 'failure');
    if (outcome === 'unrecorded') return;
    const { errorClass, statusCode } = record.detail ?? {};
    // Class, status and message only: payloads and response bodies stay out of the logs.
    const fields = { jobId: job.id, kind: job.kind, attempt: job.attempt, nextRunAt: info.nextRunAt };
    const logged = { ...fields, errorClass, statusCode, error: error.message };
    if (info.parked) {
      this.deps.logger.info(logged, 'job paused');
      this.safely('observer', job, () => this.deps.observer?.jobParked?.(job.kind));
      return;
    }
    if (info.willRetry) this.deps.logger.warn(logged, 'job failed; will retry');
    else this.deps.logger.error(logged, 'job failed; dead');
    this.safely('observer', job, () => this.deps.observer?.jobFailed?.(job.kind, info.willRetry));
  }

  /**
   * Retry or not, and when: a non-retryable JobError is final, a Retry-After hint sets the time,
   * a parking one pauses the job (no schedule: its owner unparks it).
   */
  private decide(job: ClaimedJob, error: Error, startedAt: number): { record: FailureRecord; info: FailureInfo } {
    const now = this.deps.clock.now();
    const detail = failureDetail(error);
    const decision =
      detail.retryable === false
        ? ({ retry: false } as const)
        : nextAttempt(attemptInRound(job), job.policy, now, this.deps.random, { retryAfterMs: detail.retryAfterMs });
    const nextRunAt = decision.retry ? decision.runAt : null;
    const park = detail.park === true;
    return {
      record: { error, nextRunAt, park, detail: { ...detail, latencyMs: detail.latencyMs ?? now - startedAt, startedAt } },
      info: { error, attempt: job.attempt, willRetry: decision.retry, nextRunAt, parked: park },
    };
  }

  /**
   * Failure and onFailure commit together. If onFailure throws, its rollback undoes the failure
   * too, so the failure is recorded again without it: a job stuck in running until its lease
   * expires would be retried with no attempt logged, hiding the handler's bug.
   */
  private async commitFailure(
    job: ClaimedJob,
    handler: JobHandler | undefined,
    record: FailureRecord,
    info: FailureInfo,
  ): Promise<'applied' | 'lost' | 'unrecorded'> {
    const { storage, queue, clock, logger } = this.deps;
    const applied = (ok: boolean) => (ok ? 'applied' : 'lost');
    try {
      return applied(
        await storage.write(async (tx) => {
          if (!(await queue.fail(tx, job, clock.now(), record))) return false;
          await handler?.onFailure?.(tx, job.payload, info);
          return true;
        }),
      );
    } catch (thrown) {
      const message = 'recording the failure with onFailure failed; recording it without onFailure';
      logger.error({ jobId: job.id, kind: job.kind, error: toError(thrown).message }, message);
    }
    try {
      return applied(await storage.write((tx) => queue.fail(tx, job, clock.now(), record)));
    } catch (thrown) {
      const message = 'could not record the failure; the job runs again when its lease expires';
      logger.error({ jobId: job.id, kind: job.kind, error: toError(thrown).message }, message);
      return 'unrecorded';
    }
  }

  private leaseLost(job: ClaimedJob, outcome: 'success' | 'failure'): void {
    const message = 'lease lost before the outcome was recorded; another attempt owns the job';
    this.deps.logger.warn({ jobId: job.id, kind: job.kind, attempt: job.attempt, outcome }, message);
  }

  /** Hooks run after the commit; their errors are logged, never allowed to undo or crash anything. */
  private safely(what: string, job: ClaimedJob, hook: () => void): void {
    try {
      hook();
    } catch (thrown) {
      this.deps.logger.error({ jobId: job.id, kind: job.kind, error: toError(thrown).message }, `${what} threw`);
    }
  }
}

function unknownKind(job: ClaimedJob): JobError {
  return JobError.permanent(`no handler is registered for job kind "${job.kind}"`, { errorClass: 'UnknownJobKind' });
}

function exhaustedByCrash(job: ClaimedJob): JobError | null {
  // A re-claim after an expired lease on the last attempt: the process probably died running this
  // job. Running it again would exceed the policy and could crash the process again (poison job).
  if (job.attempt > job.maxAttempts) {
    const previous = `attempt ${job.attempt - 1} of ${job.maxAttempts}`;
    const message = `${previous} never finished (its lease expired) and no attempts are left`;
    return JobError.permanent(message, { errorClass: 'LeaseExpired' });
  }
  return null;
}
