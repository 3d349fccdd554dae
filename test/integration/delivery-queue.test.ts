import { eq } from 'drizzle-orm';
import { meta } from '../../src/storage/sqlite/schema';
import { abcPolicy, JobError, policies, SqliteJobQueue, type ClaimedJob, type EnqueueInput } from '../../src/delivery';
import { GroupCommitter } from '../../src/storage/sqlite/group-commit';
import { freshDatabase } from '../support/db';

const T0 = Date.UTC(2026, 2, 1);
const LEASE = 30_000;

// Queue methods are synchronous and take the handle; outside the committer they run in autocommit,
// which is enough here. The first test goes through a committer for the transactional guarantee.
describe('SqliteJobQueue', () => {
  let database: ReturnType<typeof freshDatabase>;
  let queue: SqliteJobQueue;

  beforeEach(() => {
    database = freshDatabase();
    queue = new SqliteJobQueue();
  });

  afterEach(() => database.remove());

  const job = (overrides: Partial<EnqueueInput> = {}): EnqueueInput => ({ kind: 'deliver', payload: { n: 1 }, policy: abcPolicy, ...overrides });
  const enqueue = (overrides: Partial<EnqueueInput> = {}, now = T0) => queue.enqueue(database.db, job(overrides), now);
  const claim = (now: number, options: { workerId?: string; limit?: number; kinds?: string[] } = {}) =>
    queue.claim(database.db, { workerId: options.workerId ?? 'w1', limit: options.limit ?? 10, now, leaseMs: LEASE, kinds: options.kinds });
  const ids = (claimed: ClaimedJob[]) => claimed.map((c) => c.id);

  describe('enqueue', () => {
    it("when the caller's closure throws after enqueuing, then neither its write nor the job persists", async () => {
      const committer = new GroupCommitter(database);
      const work = committer.run((db) => {
        db.insert(meta).values({ key: 'caller', value: 'x', updatedAt: T0 }).run();
        queue.enqueue(db, job(), T0);
        throw new Error('caller failed');
      });
      await expect(work).rejects.toThrow('caller failed');
      expect(database.db.select().from(meta).where(eq(meta.key, 'caller')).all()).toEqual([]);
      expect(queue.stats(database.db, T0)).toEqual([]);
      committer.close();
    });

    it("when the caller's closure commits, then the job is pending with its payload, policy and attempt budget", async () => {
      const committer = new GroupCommitter(database);
      const id = await committer.run((db) => queue.enqueue(db, job({ payload: { eventId: 'evt_1' }, concurrencyKey: 'abc' }), T0));
      committer.close();
      expect(queue.get(database.db, id)).toMatchObject({
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

    it('when the policy is unusable, then enqueue refuses it', () => {
      expect(() => enqueue({ policy: policies.fixed(1000, 0) })).toThrow(RangeError);
    });

    it('when the payload is undefined, then it is stored as null', () => {
      expect(queue.get(database.db, enqueue({ payload: undefined }))?.payload).toBeNull();
    });
  });

  describe('claim', () => {
    it('when some jobs are not yet due, then only the due ones are claimed, earliest first', () => {
      const later = enqueue({ runAt: T0 + 5000 });
      const second = enqueue({ runAt: T0 - 10 });
      const first = enqueue({ runAt: T0 - 20 });
      expect(ids(claim(T0))).toEqual([first, second]);
      expect(ids(claim(T0 + 5000))).toEqual([later]);
    });

    it('when more jobs are due than the limit, then only limit jobs are claimed', () => {
      const [a, b] = [enqueue(), enqueue(), enqueue()];
      expect(ids(claim(T0, { limit: 2 }))).toEqual([a, b]);
      expect(claim(T0, { limit: 0 })).toEqual([]);
    });

    it('when kinds are given, then other kinds stay pending', () => {
      enqueue({ kind: 'a' });
      const b = enqueue({ kind: 'b' });
      expect(ids(claim(T0, { kinds: ['b', 'c'] }))).toEqual([b]);
      expect(claim(T0, { kinds: [] })).toEqual([]);
      expect(queue.stats(database.db, T0).find((s) => s.kind === 'a')?.state).toBe('pending');
    });

    it('when a job is claimed, then it is running, leased to the worker and on its first attempt', () => {
      const id = enqueue();
      const [claimed] = claim(T0 + 7, { workerId: 'w9' });
      expect(claimed).toMatchObject({ id, attempt: 1, lockedBy: 'w9', lockedUntil: T0 + 7 + LEASE, payload: { n: 1 }, policy: abcPolicy });
      expect(queue.get(database.db, id)).toMatchObject({ state: 'running', attempts: 1, lockedBy: 'w9', lockedUntil: T0 + 7 + LEASE, updatedAt: T0 + 7 });
    });

    it('when a lease has expired, then another worker re-claims the job with the next attempt number', () => {
      const id = enqueue();
      claim(T0, { workerId: 'crashed' });
      expect(claim(T0 + LEASE - 1, { workerId: 'w2' })).toEqual([]);
      const [again] = claim(T0 + LEASE, { workerId: 'w2' });
      expect(again).toMatchObject({ id, attempt: 2, lockedBy: 'w2', lockedUntil: T0 + 2 * LEASE });
    });
  });

  describe('complete and fail', () => {
    it('when a job completes, then it is succeeded, unlocked and its attempt is logged', () => {
      const id = enqueue();
      const [claimed] = claim(T0);
      expect(queue.complete(database.db, claimed, T0 + 50, { startedAt: T0 + 1, statusCode: 200, latencyMs: 49, responseSnippet: 'ok' })).toBe(true);
      expect(queue.get(database.db, id)).toMatchObject({ state: 'succeeded', finishedAt: T0 + 50, lockedBy: null, lockedUntil: null });
      expect(queue.attempts(database.db, id)).toEqual([
        expect.objectContaining({ attempt: 1, outcome: 'succeeded', startedAt: T0 + 1, finishedAt: T0 + 50, statusCode: 200, latencyMs: 49, responseSnippet: 'ok', errorClass: null }),
      ]);
    });

    it('when a failure has a next run time, then the job is pending again at that time with the error kept', () => {
      const id = enqueue();
      const [claimed] = claim(T0);
      const error = new JobError('receiver said 503', { statusCode: 503, errorClass: 'http_5xx', responseSnippet: 'busy' });
      expect(queue.fail(database.db, claimed, T0 + 10, { error, nextRunAt: T0 + 3010, detail: { startedAt: T0, latencyMs: 10, ...error.detail } })).toBe(true);
      expect(queue.get(database.db, id)).toMatchObject({ state: 'pending', runAt: T0 + 3010, lastError: 'receiver said 503', lockedBy: null, lockedUntil: null, finishedAt: null });
      expect(queue.attempts(database.db, id)).toEqual([
        expect.objectContaining({ attempt: 1, outcome: 'failed', errorClass: 'http_5xx', errorMessage: 'receiver said 503', statusCode: 503, latencyMs: 10, responseSnippet: 'busy' }),
      ]);
      expect(claim(T0 + 3009)).toEqual([]);
      expect(claim(T0 + 3010)).toEqual([expect.objectContaining({ id, attempt: 2 })]);
    });

    it('when a failure has no next run time, then the job is dead, finished and keeps the last error', () => {
      const id = enqueue();
      const [claimed] = claim(T0);
      expect(queue.fail(database.db, claimed, T0 + 10, { error: new TypeError('bad payload'), nextRunAt: null })).toBe(true);
      expect(queue.get(database.db, id)).toMatchObject({ state: 'dead', finishedAt: T0 + 10, lastError: 'bad payload', lockedBy: null });
      expect(queue.attempts(database.db, id)).toEqual([expect.objectContaining({ outcome: 'failed', errorClass: 'TypeError', startedAt: T0 + 10 })]);
      expect(claim(T0 + 1_000_000)).toEqual([]);
    });

    it("when a slow worker reports after its lease was re-claimed, then neither its success nor its failure applies", () => {
      const id = enqueue();
      const [stale] = claim(T0, { workerId: 'slow' });
      const [fresh] = claim(T0 + LEASE, { workerId: 'fast' });
      expect(queue.complete(database.db, stale, T0 + LEASE + 1)).toBe(false);
      expect(queue.fail(database.db, stale, T0 + LEASE + 1, { error: new Error('late'), nextRunAt: null })).toBe(false);
      expect(queue.get(database.db, id)).toMatchObject({ state: 'running', lockedBy: 'fast', attempts: 2, lastError: null });
      expect(queue.attempts(database.db, id)).toEqual([]);
      expect(queue.complete(database.db, fresh, T0 + LEASE + 2)).toBe(true);
    });

    it('when the same worker reports for an older attempt, then it does not apply either', () => {
      enqueue();
      const [first] = claim(T0, { workerId: 'w1' });
      claim(T0 + LEASE, { workerId: 'w1' });
      expect(queue.complete(database.db, first, T0 + LEASE + 1)).toBe(false);
    });

    it('when a receiver answers with a huge body, then the logged snippet is truncated', () => {
      const id = enqueue();
      const [claimed] = claim(T0);
      queue.fail(database.db, claimed, T0, { error: new Error('x'.repeat(10_000)), nextRunAt: null, detail: { responseSnippet: 'y'.repeat(10_000) } });
      const [attempt] = queue.attempts(database.db, id);
      expect(attempt.responseSnippet?.length).toBeLessThanOrEqual(2048);
      expect(attempt.errorMessage?.length).toBeLessThanOrEqual(2048);
      expect(queue.get(database.db, id)?.lastError?.length).toBeLessThanOrEqual(2048);
    });
  });

  describe('nextWakeAt', () => {
    it('when the queue is empty, then there is nothing to wake for', () => {
      expect(queue.nextWakeAt(database.db)).toBeNull();
    });

    it('when jobs are pending and running, then it is the earliest run time or lease expiry', () => {
      enqueue({ runAt: T0 });
      enqueue({ runAt: T0 + 60_000, kind: 'later' });
      claim(T0); // leased until T0 + LEASE
      expect(queue.nextWakeAt(database.db)).toBe(T0 + LEASE);
      expect(queue.nextWakeAt(database.db, ['later'])).toBe(T0 + 60_000);
      expect(queue.nextWakeAt(database.db, [])).toBeNull();
    });

    it('when jobs are finished, then they do not count', () => {
      enqueue();
      const [claimed] = claim(T0);
      queue.complete(database.db, claimed, T0);
      expect(queue.nextWakeAt(database.db)).toBeNull();
    });
  });

  describe('stats', () => {
    it('when jobs of several kinds and states exist, then it gives count, age and lag per kind and state', () => {
      enqueue({ kind: 'a' }, T0);
      enqueue({ kind: 'a', runAt: T0 + 500 }, T0 + 100);
      enqueue({ kind: 'b' }, T0 + 200);
      claim(T0 + 300, { kinds: ['b'] });
      expect(queue.stats(database.db, T0 + 1000)).toEqual([
        { kind: 'a', state: 'pending', count: 2, oldestAgeMs: 1000, dueLagMs: 1000 },
        { kind: 'b', state: 'running', count: 1, oldestAgeMs: 800, dueLagMs: 0 },
      ]);
    });
  });

  describe('requeue', () => {
    it('when a dead job is requeued, then it is pending now with history kept and a full new round of attempts', () => {
      const id = enqueue({ policy: policies.fixed(1000, 2) });
      for (let i = 0; i < 2; i += 1) {
        const [claimed] = claim(T0 + i * 1000);
        queue.fail(database.db, claimed, T0 + i * 1000, { error: new Error(`fail ${i}`), nextRunAt: i === 0 ? T0 + 1000 : null });
      }
      expect(queue.get(database.db, id)?.state).toBe('dead');
      expect(queue.requeue(database.db, id, T0 + 9000)).toBe(true);
      expect(queue.get(database.db, id)).toMatchObject({ state: 'pending', runAt: T0 + 9000, attempts: 2, maxAttempts: 4, finishedAt: null, lastError: 'fail 1' });
      expect(queue.attempts(database.db, id)).toHaveLength(2);
      expect(claim(T0 + 9000)).toEqual([expect.objectContaining({ id, attempt: 3, maxAttempts: 4 })]);
    });

    it('when a succeeded job is requeued, then it runs again', () => {
      const id = enqueue();
      const [claimed] = claim(T0);
      queue.complete(database.db, claimed, T0);
      expect(queue.requeue(database.db, id, T0 + 1)).toBe(true);
      expect(ids(claim(T0 + 1))).toEqual([id]);
    });

    it('when a job is pending, running or unknown, then requeue does nothing', () => {
      const pending = enqueue({ runAt: T0 + 5000 });
      const running = enqueue();
      claim(T0);
      expect(queue.requeue(database.db, pending, T0)).toBe(false);
      expect(queue.requeue(database.db, running, T0)).toBe(false);
      expect(queue.requeue(database.db, 999, T0)).toBe(false);
      expect(queue.get(database.db, pending)?.runAt).toBe(T0 + 5000);
      expect(queue.get(database.db, 999)).toBeNull();
    });
  });
});
