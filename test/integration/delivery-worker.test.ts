import pino from 'pino';
import {
  abcPolicy,
  JobError,
  policies,
  runningWorkers,
  SqlJobQueue,
  Worker,
  type EnqueueInput,
  type FailureInfo,
  type JobContext,
  type JobHandler,
  type WorkerOptions,
} from '../../src/delivery';
import { ManualClock } from '../../src/shared/clock';
import type { Tx } from '../../src/storage/port';
import { sql } from '../../src/storage/sql';
import { freshStorage, type TestStorage } from '../support/backend';

const T0 = Date.UTC(2026, 2, 1);
const LEASE = 30_000;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Handlers that wait at the gate until the test lets them through, so no test needs a sleep. */
class Gate {
  private readonly entered = new Map<number, Deferred<JobContext>>();
  private readonly exits = new Map<number, Deferred<void>>();
  active = 0;
  maxActive = 0;

  async pass(n: number, ctx: JobContext): Promise<void> {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.slot(this.entered, n).resolve(ctx);
    try {
      await this.slot(this.exits, n).promise;
    } finally {
      this.active -= 1;
    }
  }

  started(n: number): Promise<JobContext> {
    return this.slot(this.entered, n).promise;
  }

  release(n: number): void {
    this.slot(this.exits, n).resolve();
  }

  private slot<T>(map: Map<number, Deferred<T>>, n: number): Deferred<T> {
    if (!map.has(n)) map.set(n, deferred<T>());
    return map.get(n) as Deferred<T>;
  }
}

interface Payload {
  n: number;
}

describe('Worker', () => {
  let db: TestStorage;
  let clock: ManualClock;
  let queue: SqlJobQueue;
  let workers: Worker[];

  beforeEach(async () => {
    db = await freshStorage();
    clock = new ManualClock(T0);
    queue = new SqlJobQueue(db.storage.claims);
    workers = [];
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop({ deadlineMs: 0 })));
    await db.remove();
  });

  // A long idle poll: every wake-up in these tests comes from notify() or whenIdle(), never the timer.
  function startWorker(handlers: JobHandler<Payload>[], overrides: Partial<WorkerOptions> = {}): Worker {
    const worker = new Worker({
      storage: db.storage,
      queue,
      handlers,
      clock,
      logger: pino({ level: 'silent' }),
      concurrency: 4,
      leaseMs: LEASE,
      idlePollMs: 60_000,
      random: () => 0.5,
      ...overrides,
    });
    workers.push(worker);
    worker.start();
    return worker;
  }

  const enqueue = (input: Partial<EnqueueInput<Payload>> = {}) =>
    db.storage.write((tx) => queue.enqueue(tx, { kind: 'test', payload: { n: 0 }, policy: abcPolicy, ...input }, clock.now()));
  const job = (id: number) => queue.get(db.storage.read, id);
  const attempts = (id: number) => queue.attempts(db.storage.read, id);
  const metaRow = (key: string) => db.storage.read.get<{ value: string }>(sql`SELECT value FROM meta WHERE key = ${key}`);
  const putMeta = (tx: Tx, key: string) => tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES (${key}, 'x', 0)`);
  const claimAs = (workerId: string, now = clock.now()) => db.storage.write((tx) => queue.claim(tx, { workerId, limit: 1, now, leaseMs: LEASE }));

  function handler(handle: JobHandler<Payload>['handle'], extra: Partial<JobHandler<Payload>> = {}): JobHandler<Payload> {
    return { kind: 'test', handle, ...extra };
  }

  describe('committing', () => {
    it("when a handler succeeds, then its commit and the job's completion are written together", async () => {
      const afterSuccess = jest.fn();
      const jobSucceeded = jest.fn();
      const id = await enqueue({ payload: { n: 7 } });
      const worker = startWorker(
        [
          handler(
            async (payload) => ({
              commit: async (tx) => {
                await tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES (${`done-${payload.n}`}, 'yes', ${clock.now()})`);
              },
              attempt: { statusCode: 200 },
            }),
            { afterSuccess },
          ),
        ],
        { observer: { jobSucceeded } },
      );
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'succeeded', finishedAt: T0 });
      expect((await metaRow('done-7'))?.value).toBe('yes');
      expect(await attempts(id)).toEqual([expect.objectContaining({ outcome: 'succeeded', statusCode: 200 })]);
      expect(afterSuccess).toHaveBeenCalledWith({ n: 7 }, expect.objectContaining({ id, attempt: 1 }));
      expect(jobSucceeded).toHaveBeenCalledWith('test', 0);
    });

    it('when the commit throws, then nothing of it persists and the job fails for a retry', async () => {
      const onFailure = jest.fn();
      const id = await enqueue();
      const worker = startWorker([
        handler(
          async () => ({
            commit: async (tx) => {
              await putMeta(tx, 'half-done');
              throw new Error('constraint violated');
            },
          }),
          { onFailure },
        ),
      ]);
      await worker.whenIdle();
      expect(await metaRow('half-done')).toBeUndefined();
      expect(await job(id)).toMatchObject({ state: 'pending', runAt: T0 + 3000, lastError: 'constraint violated' });
      expect(onFailure).toHaveBeenCalledWith(expect.anything(), { n: 0 }, expect.objectContaining({ willRetry: true, nextRunAt: T0 + 3000 }));
    });

    it('when onFailure throws, then the failure is still recorded without its effects', async () => {
      const id = await enqueue();
      const worker = startWorker([
        handler(
          async () => {
            throw new Error('down');
          },
          {
            onFailure: async (tx) => {
              await putMeta(tx, 'on-failure');
              throw new Error('onFailure bug');
            },
          },
        ),
      ]);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'pending', lastError: 'down', attempts: 1 });
      expect(await metaRow('on-failure')).toBeUndefined();
    });
  });

  describe('committing together', () => {
    // Jobs claimed in one claim finish in the same turn: with commitsTogether they share a group.
    const together = (commit: (tx: Tx, n: number) => Promise<void>, extra: Partial<JobHandler<Payload>> = {}) =>
      handler(async (payload) => ({ commit: (tx) => commit(tx, payload.n) }), { commitsTogether: true, ...extra });

    it('when jobs finish together, then their completions and commits share transactions, each written once', async () => {
      const ids = [];
      for (let n = 1; n <= 24; n++) ids.push(await enqueue({ payload: { n } }));
      const transactions = new Set<Tx>();
      const afterSuccess = jest.fn();
      const worker = startWorker(
        [
          together(
            async (tx, n) => {
              transactions.add(tx);
              // meta's primary key makes a second commit of the same job fail loudly.
              await putMeta(tx, `done-${n}`);
            },
            { afterSuccess },
          ),
        ],
        { concurrency: 24 },
      );
      await worker.whenIdle();
      expect(transactions.size).toBeLessThan(24);
      for (const [i, id] of ids.entries()) {
        expect(await job(id)).toMatchObject({ state: 'succeeded', finishedAt: T0 });
        expect(await attempts(id)).toEqual([expect.objectContaining({ outcome: 'succeeded', attempt: 1, startedAt: T0 })]);
        expect(await metaRow(`done-${i + 1}`)).toEqual({ value: 'x' });
      }
      expect(afterSuccess).toHaveBeenCalledTimes(24);
    });

    it('when one commit of a group throws, then only its job fails and the others commit once', async () => {
      const ids = [];
      for (let n = 1; n <= 8; n++) ids.push(await enqueue({ payload: { n } }));
      const onFailure = jest.fn();
      const transactions = new Map<Tx, number>();
      const worker = startWorker(
        [
          together(
            async (tx, n) => {
              transactions.set(tx, (transactions.get(tx) ?? 0) + 1);
              await putMeta(tx, `done-${n}`);
              if (n === 5) throw new Error('apply bug');
            },
            { onFailure },
          ),
        ],
        { concurrency: 8 },
      );
      await worker.whenIdle();
      for (const [i, id] of ids.entries()) {
        const n = i + 1;
        if (n === 5) {
          expect(await job(id)).toMatchObject({ state: 'pending', lastError: 'apply bug', attempts: 1 });
          expect(await attempts(id)).toEqual([expect.objectContaining({ outcome: 'failed', errorMessage: 'apply bug' })]);
          expect(await metaRow('done-5')).toBeUndefined();
        } else {
          expect(await job(id)).toMatchObject({ state: 'succeeded' });
          expect(await attempts(id)).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
          expect(await metaRow(`done-${n}`)).toEqual({ value: 'x' });
        }
      }
      // Grouped first (some transaction saw several commits); then job 5's group again, one by one.
      expect(Math.max(...transactions.values())).toBeGreaterThan(1);
      expect(onFailure).toHaveBeenCalledTimes(1);
      expect(onFailure).toHaveBeenCalledWith(expect.anything(), { n: 5 }, expect.objectContaining({ willRetry: true }));
    });

    it('when jobs of a group carry shared values, then one commitShared call writes them all, in the group transaction', async () => {
      const ids = [];
      for (let n = 1; n <= 12; n++) ids.push(await enqueue({ payload: { n } }));
      const calls: Array<{ tx: Tx; values: unknown[] }> = [];
      const worker = startWorker(
        [
          handler(async (payload) => ({ shared: payload.n }), {
            commitsTogether: true,
            commitShared: async (tx, values) => {
              calls.push({ tx, values });
              for (const n of values) await putMeta(tx, `shared-${String(n)}`);
            },
          }),
        ],
        { concurrency: 12 },
      );
      await worker.whenIdle();
      // Every value written once, fewer calls than jobs, each call with its own transaction.
      expect(calls.flatMap((c) => c.values).sort((a, b) => Number(a) - Number(b))).toEqual(ids.map((_id, i) => i + 1));
      expect(calls.length).toBeLessThan(12);
      expect(new Set(calls.map((c) => c.tx)).size).toBe(calls.length);
      for (const [i, id] of ids.entries()) {
        expect(await job(id)).toMatchObject({ state: 'succeeded' });
        expect(await metaRow(`shared-${i + 1}`)).toEqual({ value: 'x' });
      }
    });

    it('when commitShared throws for a group, then each job is written alone and only the one whose value fails fails', async () => {
      const ids = [];
      for (let n = 1; n <= 6; n++) ids.push(await enqueue({ payload: { n } }));
      const worker = startWorker(
        [
          handler(async (payload) => ({ shared: payload.n }), {
            commitsTogether: true,
            commitShared: async (tx, values) => {
              for (const n of values) {
                if (n === 4) throw new Error('shared write failed');
                await putMeta(tx, `shared-${String(n)}`);
              }
            },
          }),
        ],
        { concurrency: 6 },
      );
      await worker.whenIdle();
      for (const [i, id] of ids.entries()) {
        const n = i + 1;
        if (n === 4) {
          expect(await job(id)).toMatchObject({ state: 'pending', lastError: 'shared write failed' });
          expect(await metaRow('shared-4')).toBeUndefined();
        } else {
          expect(await job(id)).toMatchObject({ state: 'succeeded' });
          expect(await metaRow(`shared-${n}`)).toEqual({ value: 'x' });
        }
      }
    });

    it('when a job that does not commit together carries a shared value, then commitShared writes it in its own transaction', async () => {
      const id = await enqueue({ payload: { n: 7 } });
      const commitShared = jest.fn(async (tx: Tx, values: unknown[]) => {
        for (const n of values) await putMeta(tx, `alone-${String(n)}`);
      });
      const worker = startWorker([handler(async (payload) => ({ shared: payload.n }), { commitShared })]);
      await worker.whenIdle();
      expect(commitShared).toHaveBeenCalledTimes(1);
      expect(commitShared).toHaveBeenCalledWith(expect.anything(), [7]);
      expect(await job(id)).toMatchObject({ state: 'succeeded' });
      expect(await metaRow('alone-7')).toEqual({ value: 'x' });
    });

    it("when a job's lease is lost before its group commits, then the group leaves it out and commits the rest", async () => {
      const first = await enqueue({ payload: { n: 1 } });
      const second = await enqueue({ payload: { n: 2 } });
      const gate = new Gate();
      const worker = startWorker(
        [
          handler(
            async (payload, ctx) => {
              await gate.pass(payload.n, ctx);
              return { commit: async (tx) => void (await putMeta(tx, `done-${payload.n}`)) };
            },
            { commitsTogether: true },
          ),
        ],
        { concurrency: 2 },
      );
      await Promise.all([gate.started(1), gate.started(2)]);
      // Both leases run out while the handlers are busy; another worker takes the first job (the
      // earlier due), and the second is still ours to complete.
      clock.advance(LEASE);
      expect((await claimAs('other'))[0]).toMatchObject({ id: first, attempt: 2 });
      gate.release(1);
      gate.release(2);
      await worker.whenIdle();
      expect(await job(second)).toMatchObject({ state: 'succeeded' });
      expect(await metaRow('done-2')).toEqual({ value: 'x' });
      expect(await job(first)).toMatchObject({ state: 'running', lockedBy: 'other', attempts: 2 });
      expect(await metaRow('done-1')).toBeUndefined();
      expect(await attempts(first)).toEqual([]);
    });
  });

  describe('retrying', () => {
    it('when a handler keeps failing, then retries follow the policy as the clock moves and the job ends dead', async () => {
      const failures: FailureInfo[] = [];
      const jobFailed = jest.fn();
      const policy = policies.exponential({ baseMs: 1000, factor: 2, maxDelayMs: 60_000, maxAttempts: 4, jitter: 'full' });
      const id = await enqueue({ policy });
      const worker = startWorker(
        [handler(async () => Promise.reject(new Error('receiver down')), { onFailure: async (_tx, _p, info) => void failures.push(info) })],
        { observer: { jobFailed } },
      );
      await worker.whenIdle();
      // random 0.5 with full jitter: half of 1 s, 2 s, 4 s.
      expect(await job(id)).toMatchObject({ state: 'pending', attempts: 1, runAt: T0 + 500 });

      clock.advance(499);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'pending', attempts: 1 });

      clock.advance(1);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'pending', attempts: 2, runAt: T0 + 500 + 1000 });

      clock.advance(1000);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'pending', attempts: 3, runAt: T0 + 1500 + 2000 });

      clock.advance(2000);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'dead', attempts: 4, finishedAt: T0 + 3500, lastError: 'receiver down' });
      expect(failures.map((f) => [f.attempt, f.willRetry, f.nextRunAt])).toEqual([
        [1, true, T0 + 500],
        [2, true, T0 + 1500],
        [3, true, T0 + 3500],
        [4, false, null],
      ]);
      expect(jobFailed.mock.calls).toEqual([
        ['test', true],
        ['test', true],
        ['test', true],
        ['test', false],
      ]);
      expect((await attempts(id)).map((a) => [a.attempt, a.outcome, a.errorClass])).toEqual([
        [1, 'failed', 'Error'],
        [2, 'failed', 'Error'],
        [3, 'failed', 'Error'],
        [4, 'failed', 'Error'],
      ]);
    });

    it('when a handler throws a JobError that is not retryable, then the job is dead at once with its detail logged', async () => {
      const onFailure = jest.fn();
      const id = await enqueue();
      const worker = startWorker([
        handler(
          async () => {
            throw JobError.permanent('receiver rejected the payload', { statusCode: 400, errorClass: 'http_4xx', responseSnippet: 'bad' });
          },
          { onFailure },
        ),
      ]);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'receiver rejected the payload' });
      expect(await attempts(id)).toEqual([expect.objectContaining({ statusCode: 400, errorClass: 'http_4xx', responseSnippet: 'bad' })]);
      expect(onFailure).toHaveBeenCalledWith(expect.anything(), { n: 0 }, expect.objectContaining({ willRetry: false, nextRunAt: null }));
    });

    it('when a handler asks to retry after a delay, then the next attempt waits that long', async () => {
      const id = await enqueue();
      const worker = startWorker([handler(async () => Promise.reject(JobError.retryAfter('429', 45_000, { statusCode: 429 })))]);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'pending', runAt: T0 + 45_000 });
    });

    it('when no handler knows the kind, then the job is dead with a clear error', async () => {
      const id = await enqueue({ kind: 'mystery' });
      const worker = startWorker([handler(async () => undefined)]);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'dead', lastError: 'no handler is registered for job kind "mystery"' });
      expect(await attempts(id)).toEqual([expect.objectContaining({ errorClass: 'UnknownJobKind' })]);
    });

    it('when the worker claims only handled kinds, then an unknown kind stays pending for another worker', async () => {
      const id = await enqueue({ kind: 'mystery' });
      const worker = startWorker([handler(async () => undefined)], { kinds: 'handled' });
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'pending', attempts: 0 });
    });
  });

  describe('concurrency', () => {
    it('when more jobs are due than the concurrency, then no more than that many run at once', async () => {
      const gate = new Gate();
      // One after the other: ids (and so the claim order) follow the enqueue order.
      const ids: number[] = [];
      for (const n of [0, 1, 2, 3, 4]) ids.push(await enqueue({ payload: { n } }));
      const worker = startWorker([handler((payload, ctx) => gate.pass(payload.n, ctx))], { concurrency: 2 });
      await Promise.all([gate.started(0), gate.started(1)]);
      expect(gate.active).toBe(2);
      expect((await queue.stats(db.storage.read, clock.now())).map((s) => [s.state, s.count])).toEqual([
        ['pending', 3],
        ['running', 2],
      ]);

      gate.release(1);
      await gate.started(2);
      gate.release(0);
      await gate.started(3);
      gate.release(2);
      await gate.started(4);
      gate.release(3);
      gate.release(4);
      await worker.whenIdle();
      expect(gate.maxActive).toBe(2);
      expect(await Promise.all(ids.map(async (id) => (await job(id))?.state))).toEqual(Array(5).fill('succeeded'));
    });
  });

  describe('waking up', () => {
    it('when notify() is called after new work commits, then a sleeping worker runs it without waiting for the poll', async () => {
      const ran = deferred<number>();
      const worker = startWorker([handler(async (payload) => ran.resolve(payload.n))]);
      await worker.whenIdle(); // now asleep on a 60 s poll, longer than the test timeout
      await enqueue({ payload: { n: 42 } });
      worker.notify();
      await expect(ran.promise).resolves.toBe(42);
    });

    it('when notify() is called, then it returns before any job runs', async () => {
      const handle = jest.fn(async () => undefined);
      const worker = startWorker([handler(handle)]);
      await enqueue();
      worker.notify();
      expect(handle).not.toHaveBeenCalled();
      await worker.whenIdle();
      expect(handle).toHaveBeenCalledTimes(1);
    });
  });

  describe('leases', () => {
    it('when a process crashed holding a job, then a restarted worker takes it once the lease expires', async () => {
      const id = await enqueue();
      await claimAs('crashed-process');
      const attempts: number[] = [];
      const worker = startWorker([handler(async (_p, ctx) => void attempts.push(ctx.attempt))]);
      await worker.whenIdle();
      expect(attempts).toEqual([]);
      expect(await job(id)).toMatchObject({ state: 'running', lockedBy: 'crashed-process' });

      clock.advance(LEASE);
      await worker.whenIdle();
      expect(attempts).toEqual([2]);
      expect(await job(id)).toMatchObject({ state: 'succeeded', attempts: 2 });
    });

    it('when a process crashed on the last attempt, then the job goes dead without running again', async () => {
      const handle = jest.fn(async () => undefined);
      const onFailure = jest.fn();
      const id = await enqueue({ policy: policies.fixed(1000, 1) });
      await claimAs('crashed-process');
      clock.advance(LEASE);
      const worker = startWorker([handler(handle, { onFailure })]);
      await worker.whenIdle();
      expect(handle).not.toHaveBeenCalled();
      expect(await job(id)).toMatchObject({ state: 'dead', attempts: 2 });
      expect(await attempts(id)).toEqual([expect.objectContaining({ errorClass: 'LeaseExpired' })]);
      expect(onFailure).toHaveBeenCalledWith(expect.anything(), { n: 0 }, expect.objectContaining({ willRetry: false }));
    });

    it('when a slow handler finishes after its job was re-claimed elsewhere, then its commit is not applied', async () => {
      const gate = new Gate();
      const id = await enqueue();
      const worker = startWorker([
        handler(async (payload, ctx) => {
          await gate.pass(payload.n, ctx);
          return { commit: async (tx) => void (await putMeta(tx, 'slow')) };
        }),
      ]);
      await gate.started(0);
      // Another instance, whose clock is past the lease; this worker's clock is not, so it cannot
      // take the job back itself in between.
      await claimAs('other', clock.now() + LEASE);
      gate.release(0);
      await worker.whenIdle();
      expect(await job(id)).toMatchObject({ state: 'running', lockedBy: 'other', attempts: 2 });
      expect(await metaRow('slow')).toBeUndefined();
      expect(await attempts(id)).toEqual([]);
    });
  });

  describe('stopping', () => {
    it('when stop() is called, then it stops claiming and waits for in-flight jobs to finish', async () => {
      const gate = new Gate();
      const first = await enqueue({ payload: { n: 0 } });
      const worker = startWorker([handler((payload, ctx) => gate.pass(payload.n, ctx))]);
      await gate.started(0);
      const second = await enqueue({ payload: { n: 1 } });
      let stopped = false;
      const stopping = worker.stop({ deadlineMs: 60_000 }).then(() => {
        stopped = true;
      });
      worker.notify();
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toBe(false);
      expect(worker.isRunning()).toBe(false);
      expect(runningWorkers()).toContain(worker.id);

      gate.release(0);
      await stopping;
      expect((await job(first))?.state).toBe('succeeded');
      expect((await job(second))?.state).toBe('pending');
      expect(runningWorkers()).not.toContain(worker.id);
    });

    it('when the deadline passes, then the hanging handler is aborted and its attempt recorded as a failure', async () => {
      const id = await enqueue();
      const started = deferred<AbortSignal>();
      const worker = startWorker([
        handler(
          (_p, ctx) =>
            new Promise((_resolve, reject) => {
              started.resolve(ctx.signal);
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
            }),
        ),
      ]);
      const signal = await started.promise;
      await worker.stop({ deadlineMs: 10 });
      expect(signal.aborted).toBe(true);
      expect(await job(id)).toMatchObject({ state: 'pending', attempts: 1, lastError: 'the worker is stopping', runAt: T0 + 3000 });
    });

    it('when a handler ignores the abort, then stop still resolves and the job keeps its lease for a later worker', async () => {
      const id = await enqueue();
      const started = deferred();
      const hangForever = () => {
        started.resolve();
        return new Promise<void>(() => undefined);
      };
      const worker = startWorker([handler(hangForever)], { abortGraceMs: 10 });
      await started.promise;
      await worker.stop({ deadlineMs: 10 });
      expect(runningWorkers()).not.toContain(worker.id);
      expect(await job(id)).toMatchObject({ state: 'running', lockedUntil: T0 + LEASE });
    });

    it('when a worker was never started, then stop resolves at once', async () => {
      const worker = new Worker({
        storage: db.storage,
        queue,
        handlers: [],
        clock,
        logger: pino({ level: 'silent' }),
        concurrency: 1,
        leaseMs: LEASE,
      });
      await worker.stop({ deadlineMs: 0 });
      expect(worker.isRunning()).toBe(false);
      expect(() => worker.start()).toThrow();
    });
  });
});
