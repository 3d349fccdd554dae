import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { toError } from '../shared/errors';
import { JobRunner } from './job-runner';
import { registerWorker, unregisterWorker } from './registry';
import type { ClaimedJob, JobHandler } from './types';
import { timedOut, Wakeup } from './wakeup';
import type { WorkerOptions } from './worker-options';

export type { WorkerOptions } from './worker-options';

interface InFlight {
  controller: AbortController;
  done: Promise<void>;
}

interface IdleWaiter {
  /** The first loop pass that started after whenIdle() was called: earlier passes saw older data. */
  fromPass: number;
  resolve(): void;
}

// A floor on the loop's sleep: if the database says something is due that the claim did not take
// (a write landing in between), retry soon, but never spin.
const MIN_SLEEP_MS = 5;

// With jobs still running, a claim waits until this share of the slots is free: a claim reads and
// locks the due jobs each time, and jobs finishing one by one (deliveries answered at different
// moments) would otherwise each cost a claim of one job. At most this share of the slots idles.
const REFILL_SHARE = 1 / 8;

/**
 * Claims due jobs and runs them, at most `concurrency` at a time, off everyone's request path.
 * Claims and outcomes are transactions of their own; handlers run outside any transaction.
 */
export class Worker {
  readonly id: string;
  private readonly runner: JobRunner;
  private readonly wakeup = new Wakeup();
  private readonly inFlight = new Set<InFlight>();
  private readonly claimKinds: string[] | undefined;
  private idleWaiters: IdleWaiter[] = [];
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private passes = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | null = null;
  private refillQueued = false;

  constructor(private readonly options: WorkerOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError('worker: concurrency must be an integer >= 1');
    }
    if (!(options.leaseMs > 0)) throw new RangeError('worker: leaseMs must be > 0');
    const perKey = options.perKeyConcurrency;
    if (perKey !== undefined && (!Number.isInteger(perKey) || perKey < 1)) {
      throw new RangeError('worker: perKeyConcurrency must be an integer >= 1');
    }
    this.id = options.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const handlers = new Map<string, JobHandler>();
    for (const handler of options.handlers) {
      if (handlers.has(handler.kind)) throw new Error(`worker: two handlers for job kind "${handler.kind}"`);
      handlers.set(handler.kind, handler);
    }
    this.claimKinds = options.kinds === 'handled' ? [...handlers.keys()] : undefined;
    const { storage, queue, clock, logger, observer } = options;
    this.runner = new JobRunner({ storage, queue, clock, logger, observer, handlers, random: options.random ?? Math.random });
  }

  start(): void {
    if (this.state !== 'new') throw new Error('worker: start() may be called once; create a new Worker to start again');
    registerWorker(this.id);
    this.state = 'running';
    this.loopDone = this.loop();
    this.options.logger.info({ workerId: this.id, concurrency: this.options.concurrency }, 'worker started');
  }

  /** New work was committed: claim now instead of at the next poll. Returns at once. */
  notify(): void {
    if (this.state === 'running') this.wakeup.wake();
  }

  isRunning(): boolean {
    return this.state === 'running';
  }

  /**
   * Stops claiming, waits up to deadlineMs for in-flight jobs, then aborts their signals and gives
   * them abortGraceMs to record the failure. Resolves once the loop has exited; a job still hanging
   * after that keeps its lease and is retried when the lease expires.
   */
  stop(options: { deadlineMs: number }): Promise<void> {
    if (this.state === 'new') this.state = 'stopped';
    if (this.state === 'stopped' && !this.stopped) return Promise.resolve();
    if (!this.stopped) {
      this.state = 'stopping';
      this.stopped = this.shutdown(options.deadlineMs);
    }
    return this.stopped;
  }

  /** Resolves when nothing is in flight and no job is due at clock.now() (tests, benchmarks). */
  whenIdle(): Promise<void> {
    if (this.state !== 'running') return Promise.allSettled(this.inFlightDone()).then(() => undefined);
    return new Promise((resolve) => {
      this.idleWaiters.push({ fromPass: this.passes + 1, resolve });
      this.wakeup.wake();
    });
  }

  private async loop(): Promise<void> {
    while (this.state === 'running') {
      const pass = ++this.passes;
      const { idle, sleepMs } = await this.pass();
      if (idle) this.resolveIdle(pass);
      if (this.state !== 'running') break;
      if (sleepMs > 0) await this.wakeup.sleep(sleepMs);
    }
  }

  /** One claim round; says whether the worker is idle and how long to sleep before the next. */
  private async pass(): Promise<{ idle: boolean; sleepMs: number }> {
    const { storage, queue, clock, leaseMs, concurrency } = this.options;
    const capacity = concurrency - this.inFlight.size;
    // Full, or nearly with jobs running: a finishing job wakes the loop; the poll is only a safety net.
    if (capacity <= 0) return { idle: false, sleepMs: this.idlePollMs() };
    if (this.inFlight.size > 0 && capacity < Math.max(1, Math.floor(concurrency * REFILL_SHARE))) return { idle: false, sleepMs: this.idlePollMs() };
    let claimed: ClaimedJob[];
    try {
      claimed = await storage.write((tx) =>
        queue.claim(tx, {
          workerId: this.id,
          limit: capacity,
          now: clock.now(),
          leaseMs,
          kinds: this.claimKinds,
          perKeyLimit: this.options.perKeyConcurrency,
        }),
      );
    } catch (thrown) {
      const message = 'claim failed; retrying after the poll interval';
      this.options.logger.error({ workerId: this.id, error: toError(thrown).message }, message);
      return { idle: false, sleepMs: this.idlePollMs() };
    }
    for (const job of claimed) this.launch(job);
    // A full batch suggests more is due: claim again before sleeping.
    if (claimed.length === capacity) return { idle: false, sleepMs: 0 };
    return { idle: claimed.length === 0 && this.inFlight.size === 0, sleepMs: await this.sleepUntilDue() };
  }

  private launch(job: ClaimedJob): void {
    const controller = new AbortController();
    // Past the lease another worker may take the job; abort so the handler stops spending effort
    // on an attempt whose outcome can no longer be recorded.
    const leaseTimer = setTimeout(() => controller.abort(new Error('the job lease expired')), Math.max(0, job.lockedUntil - this.options.clock.now()));
    leaseTimer.unref();
    const entry: InFlight = { controller, done: Promise.resolve() };
    entry.done = this.runner
      .run(job, controller.signal)
      .catch((thrown) => this.options.logger.error({ jobId: job.id, error: toError(thrown).message }, 'job runner failed'))
      .finally(() => {
        clearTimeout(leaseTimer);
        this.inFlight.delete(entry);
        this.refillSoon();
      });
    this.inFlight.add(entry);
  }

  /**
   * Jobs finishing together (one group commit settles a batch of them) refill their slots with one
   * claim after the current turn, not one claim each: every claim scans the due jobs.
   */
  private refillSoon(): void {
    if (this.refillQueued) return;
    this.refillQueued = true;
    setImmediate(() => {
      this.refillQueued = false;
      this.wakeup.wake();
    });
  }

  private async sleepUntilDue(): Promise<number> {
    const { queue, storage, clock } = this.options;
    let next: number | null;
    try {
      const perKeyLimit = this.options.perKeyConcurrency;
      const cap = perKeyLimit === undefined ? undefined : { now: clock.now(), perKeyLimit };
      next = await queue.nextWakeAt(storage.read, this.claimKinds, cap);
    } catch (thrown) {
      this.options.logger.error({ workerId: this.id, error: toError(thrown).message }, 'reading the next due time failed');
      next = null;
    }
    if (next === null) return this.idlePollMs();
    return Math.min(this.idlePollMs(), Math.max(MIN_SLEEP_MS, next - clock.now()));
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    this.wakeup.wake();
    await this.loopDone;
    if (this.inFlight.size > 0 && (await timedOut(Promise.allSettled(this.inFlightDone()), deadlineMs))) {
      const message = 'stop deadline reached; aborting in-flight jobs';
      this.options.logger.warn({ workerId: this.id, inFlight: this.inFlight.size }, message);
      for (const entry of this.inFlight) entry.controller.abort(new Error('the worker is stopping'));
      await timedOut(Promise.allSettled(this.inFlightDone()), this.options.abortGraceMs ?? 1000);
    }
    this.state = 'stopped';
    unregisterWorker(this.id);
    this.resolveIdle(Number.POSITIVE_INFINITY);
    this.options.logger.info({ workerId: this.id, abandoned: this.inFlight.size }, 'worker stopped');
  }

  private resolveIdle(pass: number): void {
    const ready = this.idleWaiters.filter((w) => w.fromPass <= pass);
    this.idleWaiters = this.idleWaiters.filter((w) => w.fromPass > pass);
    for (const waiter of ready) waiter.resolve();
  }

  private inFlightDone(): Promise<void>[] {
    return [...this.inFlight].map((entry) => entry.done);
  }

  private idlePollMs(): number {
    return this.options.idlePollMs ?? 1000;
  }
}
