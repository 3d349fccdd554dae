import { abcPolicy, JobError, policies, SqlJobQueue, type ClaimedJob, type EnqueueInput } from '../../src/delivery';
import { QUEUE_STATS } from '../../src/delivery/queue-reads';
import type { Tx } from '../../src/storage/port';
import { sql } from '../../src/storage/sql';
import { freshStorage, type TestStorage } from '../support/backend';

const T0 = Date.UTC(2026, 2, 1);
const LEASE = 30_000;

// Queue writes take the caller's transaction; each helper below is one transaction of its own.
describe('the job queue', () => {
  let db: TestStorage;
  let queue: SqlJobQueue;

  beforeEach(async () => {
    db = await freshStorage();
    queue = new SqlJobQueue(db.storage.claims);
  });

  afterEach(() => db.remove());

  const write = <T>(work: (tx: Tx) => Promise<T>) => db.storage.write(work);
  const read = () => db.storage.read;
  const job = (overrides: Partial<EnqueueInput> = {}): EnqueueInput => ({ kind: 'deliver', payload: { n: 1 }, policy: abcPolicy, ...overrides });
  const enqueue = (overrides: Partial<EnqueueInput> = {}, now = T0) => write((tx) => queue.enqueue(tx, job(overrides), now));
  const claim = (now: number, options: { workerId?: string; limit?: number; kinds?: string[] } = {}) =>
    write((tx) => queue.claim(tx, { workerId: options.workerId ?? 'w1', limit: options.limit ?? 10, now, leaseMs: LEASE, kinds: options.kinds }));
  type Rest<F> = F extends (tx: Tx, ...rest: infer R) => unknown ? R : never;
  const complete = (...args: Rest<SqlJobQueue['complete']>) => write((tx) => queue.complete(tx, ...args));
  const fail = (...args: Rest<SqlJobQueue['fail']>) => write((tx) => queue.fail(tx, ...args));
  const requeue = (id: number, now: number) => write((tx) => queue.requeue(tx, id, now));
  const ids = (claimed: ClaimedJob[]) => claimed.map((c) => c.id);

  describe('enqueue', () => {
    it("when the caller's closure throws after enqueuing, then neither its write nor the job persists", async () => {
      const work = write(async (tx) => {
        await tx.run(sql`INSERT INTO meta (key, value, updated_at) VALUES ('caller', 'x', ${T0})`);
        await queue.enqueue(tx, job(), T0);
        throw new Error('caller failed');
      });
      await expect(work).rejects.toThrow('caller failed');
      expect(await read().all(sql`SELECT key FROM meta WHERE key = 'caller'`)).toEqual([]);
      expect(await queue.stats(read(), T0)).toEqual([]);
    });

    it("when the caller's closure commits, then the job is pending with its payload, policy and attempt budget", async () => {
      const id = await write((tx) => queue.enqueue(tx, job({ payload: { eventId: 'evt_1' }, concurrencyKey: 'abc' }), T0));
      expect(await queue.get(read(), id)).toMatchObject({
        kind: 'deliver',
        payload: { eventId: 'evt_1' },
        state: 'pending',
        attempts: 0,
        maxAttempts: 4,
        policy: abcPolicy,
        runAt: T0,
        concurrencyKey: 'abc',
        createdAt: T0,
        finishedAt: null,
      });
    });

    it('when the policy is unusable, then enqueue refuses it', async () => {
      await expect(enqueue({ policy: policies.fixed(1000, 0) })).rejects.toThrow(RangeError);
    });

    it('when the payload is undefined, then it is stored as null', async () => {
      expect((await queue.get(read(), await enqueue({ payload: undefined })))?.payload).toBeNull();
    });
  });

  describe('claim', () => {
    it('when some jobs are not yet due, then only the due ones are claimed, earliest first', async () => {
      const later = await enqueue({ runAt: T0 + 5000 });
      const second = await enqueue({ runAt: T0 - 10 });
      const first = await enqueue({ runAt: T0 - 20 });
      expect(ids(await claim(T0))).toEqual([first, second]);
      expect(ids(await claim(T0 + 5000))).toEqual([later]);
    });

    it('when more jobs are due than the limit, then only limit jobs are claimed', async () => {
      const [a, b] = [await enqueue(), await enqueue(), await enqueue()];
      expect(ids(await claim(T0, { limit: 2 }))).toEqual([a, b]);
      expect(await claim(T0, { limit: 0 })).toEqual([]);
    });

    it('when kinds are given, then other kinds stay pending', async () => {
      await enqueue({ kind: 'a' });
      const b = await enqueue({ kind: 'b' });
      expect(ids(await claim(T0, { kinds: ['b', 'c'] }))).toEqual([b]);
      expect(await claim(T0, { kinds: [] })).toEqual([]);
      expect((await queue.stats(read(), T0)).find((s) => s.kind === 'a')?.state).toBe('pending');
    });

    it('when a job is claimed, then it is running, leased to the worker and on its first attempt', async () => {
      const id = await enqueue();
      const [claimed] = await claim(T0 + 7, { workerId: 'w9' });
      expect(claimed).toMatchObject({ id, attempt: 1, lockedBy: 'w9', lockedUntil: T0 + 7 + LEASE, payload: { n: 1 }, policy: abcPolicy });
      expect(await queue.get(read(), id)).toMatchObject({ state: 'running', attempts: 1, lockedBy: 'w9', lockedUntil: T0 + 7 + LEASE, updatedAt: T0 + 7 });
    });

    it('when a lease has expired, then another worker re-claims the job with the next attempt number', async () => {
      const id = await enqueue();
      await claim(T0, { workerId: 'crashed' });
      expect(await claim(T0 + LEASE - 1, { workerId: 'w2' })).toEqual([]);
      const [again] = await claim(T0 + LEASE, { workerId: 'w2' });
      expect(again).toMatchObject({ id, attempt: 2, lockedBy: 'w2', lockedUntil: T0 + 2 * LEASE });
    });
  });

  describe('complete and fail', () => {
    it('when a job completes, then it is succeeded, unlocked and its attempt is logged', async () => {
      const id = await enqueue();
      const [claimed] = await claim(T0);
      expect(await complete(claimed, T0 + 50, { startedAt: T0 + 1, statusCode: 200, latencyMs: 49, responseSnippet: 'ok' })).toBe(true);
      expect(await queue.get(read(), id)).toMatchObject({ state: 'succeeded', finishedAt: T0 + 50, lockedBy: null, lockedUntil: null });
      expect(await queue.attempts(read(), id)).toEqual([
        expect.objectContaining({
          attempt: 1,
          outcome: 'succeeded',
          startedAt: T0 + 1,
          finishedAt: T0 + 50,
          statusCode: 200,
          latencyMs: 49,
          responseSnippet: 'ok',
          errorClass: null,
        }),
      ]);
    });

    it('when a failure has a next run time, then the job is pending again at that time with the error kept', async () => {
      const id = await enqueue();
      const [claimed] = await claim(T0);
      const error = new JobError('receiver said 503', { statusCode: 503, errorClass: 'http_5xx', responseSnippet: 'busy' });
      expect(await fail(claimed, T0 + 10, { error, nextRunAt: T0 + 3010, detail: { startedAt: T0, latencyMs: 10, ...error.detail } })).toBe(true);
      expect(await queue.get(read(), id)).toMatchObject({
        state: 'pending',
        runAt: T0 + 3010,
        lastError: 'receiver said 503',
        lockedBy: null,
        lockedUntil: null,
        finishedAt: null,
      });
      expect(await queue.attempts(read(), id)).toEqual([
        expect.objectContaining({
          attempt: 1,
          outcome: 'failed',
          errorClass: 'http_5xx',
          errorMessage: 'receiver said 503',
          statusCode: 503,
          latencyMs: 10,
          responseSnippet: 'busy',
        }),
      ]);
      expect(await claim(T0 + 3009)).toEqual([]);
      expect(await claim(T0 + 3010)).toEqual([expect.objectContaining({ id, attempt: 2 })]);
    });

    it('when a failure has no next run time, then the job is dead, finished and keeps the last error', async () => {
      const id = await enqueue();
      const [claimed] = await claim(T0);
      expect(await fail(claimed, T0 + 10, { error: new TypeError('bad payload'), nextRunAt: null })).toBe(true);
      expect(await queue.get(read(), id)).toMatchObject({ state: 'dead', finishedAt: T0 + 10, lastError: 'bad payload', lockedBy: null });
      expect(await queue.attempts(read(), id)).toEqual([expect.objectContaining({ outcome: 'failed', errorClass: 'TypeError', startedAt: T0 + 10 })]);
      expect(await claim(T0 + 1_000_000)).toEqual([]);
    });

    it('when a slow worker reports after its lease was re-claimed, then neither its success nor its failure applies', async () => {
      const id = await enqueue();
      const [stale] = await claim(T0, { workerId: 'slow' });
      const [fresh] = await claim(T0 + LEASE, { workerId: 'fast' });
      expect(await complete(stale, T0 + LEASE + 1)).toBe(false);
      expect(await fail(stale, T0 + LEASE + 1, { error: new Error('late'), nextRunAt: null })).toBe(false);
      expect(await queue.get(read(), id)).toMatchObject({ state: 'running', lockedBy: 'fast', attempts: 2, lastError: null });
      expect(await queue.attempts(read(), id)).toEqual([]);
      expect(await complete(fresh, T0 + LEASE + 2)).toBe(true);
    });

    it('when the same worker reports for an older attempt, then it does not apply either', async () => {
      await enqueue();
      const [first] = await claim(T0, { workerId: 'w1' });
      await claim(T0 + LEASE, { workerId: 'w1' });
      expect(await complete(first, T0 + LEASE + 1)).toBe(false);
    });

    it('when many jobs complete at once, then each held lease is completed with its own attempt and every lost one is left alone', async () => {
      for (let i = 0; i < 13; i++) await enqueue({ payload: { n: i } });
      const mine = await claim(T0, { workerId: 'w1', limit: 11 });
      // Two of them expire: one goes to another worker, one back to w1 on its next attempt.
      const reclaimedByOther = mine[9]!;
      const reclaimedByMe = mine[10]!;
      await write((tx) => tx.run(sql`UPDATE jobs SET locked_until = ${T0} WHERE id IN (${reclaimedByOther.id}, ${reclaimedByMe.id})`));
      const [other] = await claim(T0 + 1, { workerId: 'w2', limit: 1 });
      const [again] = await claim(T0 + 1, { workerId: 'w1', limit: 1 });
      expect([other!.id, again!.id].sort()).toEqual([reclaimedByOther.id, reclaimedByMe.id].sort());
      const entries = mine.map((job, i) => ({ job, detail: { startedAt: T0 + i, latencyMs: i, statusCode: 200 + i } }));
      const done = await write((tx) => queue.completeMany(tx, entries, T0 + 50));
      expect([...done].sort((a, b) => a - b)).toEqual(ids(mine.slice(0, 9)).sort((a, b) => a - b));
      for (const [i, job] of mine.slice(0, 9).entries()) {
        expect(await queue.get(read(), job.id)).toMatchObject({ state: 'succeeded', finishedAt: T0 + 50, lockedBy: null, lockedUntil: null });
        expect(await queue.attempts(read(), job.id)).toEqual([
          expect.objectContaining({ attempt: 1, outcome: 'succeeded', startedAt: T0 + i, finishedAt: T0 + 50, latencyMs: i, statusCode: 200 + i }),
        ]);
      }
      for (const lost of [reclaimedByOther, reclaimedByMe]) {
        expect(await queue.get(read(), lost.id)).toMatchObject({ state: 'running', attempts: 2 });
        expect(await queue.attempts(read(), lost.id)).toEqual([]);
      }
      // The two left pending were never claimed; nothing is written for an empty list either.
      expect(await write((tx) => queue.completeMany(tx, [], T0 + 60))).toEqual(new Set());
      expect((await queue.stats(read(), T0 + 60)).find((s) => s.state === 'pending')).toMatchObject({ count: 2 });
    });

    it('when a receiver answers with a huge body, then the logged snippet is truncated', async () => {
      const id = await enqueue();
      const [claimed] = await claim(T0);
      await fail(claimed, T0, { error: new Error('x'.repeat(10_000)), nextRunAt: null, detail: { responseSnippet: 'y'.repeat(10_000) } });
      const [attempt] = await queue.attempts(read(), id);
      expect(attempt.responseSnippet?.length).toBeLessThanOrEqual(2048);
      expect(attempt.errorMessage?.length).toBeLessThanOrEqual(2048);
      expect((await queue.get(read(), id))?.lastError?.length).toBeLessThanOrEqual(2048);
    });
  });

  describe('nextWakeAt', () => {
    it('when the queue is empty, then there is nothing to wake for', async () => {
      expect(await queue.nextWakeAt(read())).toBeNull();
    });

    it('when jobs are pending and running, then it is the earliest run time or lease expiry', async () => {
      await enqueue({ runAt: T0 });
      await enqueue({ runAt: T0 + 60_000, kind: 'later' });
      await claim(T0); // leased until T0 + LEASE
      expect(await queue.nextWakeAt(read())).toBe(T0 + LEASE);
      expect(await queue.nextWakeAt(read(), ['later'])).toBe(T0 + 60_000);
      expect(await queue.nextWakeAt(read(), [])).toBeNull();
    });

    it('when jobs are finished, then they do not count', async () => {
      await enqueue();
      const [claimed] = await claim(T0);
      await complete(claimed, T0);
      expect(await queue.nextWakeAt(read())).toBeNull();
    });
  });

  describe('stats', () => {
    it('when jobs of several kinds and states exist, then it gives count, age and lag per kind and state', async () => {
      await enqueue({ kind: 'a' }, T0);
      await enqueue({ kind: 'a', runAt: T0 + 500 }, T0 + 100);
      await enqueue({ kind: 'b' }, T0 + 200);
      await claim(T0 + 300, { kinds: ['b'] });
      expect(await queue.stats(read(), T0 + 1000)).toEqual([
        { kind: 'a', state: 'pending', count: 2, oldestAgeMs: 1000, dueLagMs: 1000 },
        { kind: 'b', state: 'running', count: 1, oldestAgeMs: 800, dueLagMs: 0 },
      ]);
    });

    it('when jobs succeeded or died, then the dead are counted and the succeeded left out', async () => {
      await enqueue({ kind: 'a', policy: policies.fixed(1000, 1) }, T0);
      await enqueue({ kind: 'a' }, T0);
      const [first, second] = await claim(T0, { kinds: ['a'], limit: 2 });
      await fail(first, T0 + 10, { error: new Error('gone'), nextRunAt: null });
      await complete(second, T0 + 10);
      await enqueue({ kind: 'a' }, T0 + 20);
      expect((await queue.stats(read(), T0 + 100)).map(({ kind, state, count }) => ({ kind, state, count }))).toEqual([
        { kind: 'a', state: 'dead', count: 1 },
        { kind: 'a', state: 'pending', count: 1 },
      ]);
    });

    // Read by /metrics at every scrape, on the HTTP thread: a pass over every job ever finished
    // there blocked the webhooks (SQLite) and grew with the table on both backends.
    it('when the figures are planned, then each state is read from its partial index, never from the whole table', async () => {
      const plan =
        db.database.url === null
          ? (await read().all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${QUEUE_STATS}`)).map((r) => r.detail)
          : await write(async (tx) => {
              // Told to avoid sequential scans, the planner still takes one where no index serves a branch.
              await tx.run(sql`SET LOCAL enable_seqscan = off`);
              return (await tx.all<{ 'QUERY PLAN': string }>(sql`EXPLAIN ${QUEUE_STATS}`)).map((r) => r['QUERY PLAN']);
            });
      const readsOfJobs = plan.filter((line) => /\bjobs\b/.test(line));
      expect(readsOfJobs.length).toBeGreaterThanOrEqual(4);
      expect(readsOfJobs.filter((line) => /^SCAN jobs$|Seq Scan on jobs/.test(line.trim().replace(/^->\s*/, '')))).toEqual([]);
    });
  });

  describe('requeue', () => {
    it('when a dead job is requeued, then it is pending now with history kept and a full new round of attempts', async () => {
      const id = await enqueue({ policy: policies.fixed(1000, 2) });
      for (let i = 0; i < 2; i += 1) {
        const [claimed] = await claim(T0 + i * 1000);
        await fail(claimed, T0 + i * 1000, { error: new Error(`fail ${i}`), nextRunAt: i === 0 ? T0 + 1000 : null });
      }
      expect((await queue.get(read(), id))?.state).toBe('dead');
      expect(await requeue(id, T0 + 9000)).toBe(true);
      expect(await queue.get(read(), id)).toMatchObject({
        state: 'pending',
        runAt: T0 + 9000,
        attempts: 2,
        maxAttempts: 4,
        finishedAt: null,
        lastError: 'fail 1',
      });
      expect(await queue.attempts(read(), id)).toHaveLength(2);
      expect(await claim(T0 + 9000)).toEqual([expect.objectContaining({ id, attempt: 3, maxAttempts: 4 })]);
    });

    it('when a succeeded job is requeued, then it runs again', async () => {
      const id = await enqueue();
      const [claimed] = await claim(T0);
      await complete(claimed, T0);
      expect(await requeue(id, T0 + 1)).toBe(true);
      expect(ids(await claim(T0 + 1))).toEqual([id]);
    });

    it('when a job is pending, running or unknown, then requeue does nothing', async () => {
      const pending = await enqueue({ runAt: T0 + 5000 });
      const running = await enqueue();
      await claim(T0);
      expect(await requeue(pending, T0)).toBe(false);
      expect(await requeue(running, T0)).toBe(false);
      expect(await requeue(999, T0)).toBe(false);
      expect((await queue.get(read(), pending))?.runAt).toBe(T0 + 5000);
      expect(await queue.get(read(), 999)).toBeNull();
    });
  });
});
