import { abcPolicy, SqlJobQueue, type ClaimedJob } from '../../src/delivery';
import type { Storage } from '../../src/storage/port';
import { freshStorage, openStorageOn, type TestStorage } from '../support/backend';

// Parking: jobs kept but never claimed until their owner unparks them (a subscriber disabled
// automatically). Each transition is one guarded statement, so none races a claim into a double run.

const T0 = Date.UTC(2026, 2, 1);
const LEASE = 30_000;
const KEY = 'webhook:1';

let db: TestStorage;
let queue: SqlJobQueue;

beforeEach(async () => {
  db = await freshStorage();
  queue = new SqlJobQueue(db.storage.claims);
});
afterEach(() => db.remove());

const enqueue = (key: string | null = KEY, paused = false) =>
  db.storage.write((tx) => queue.enqueue(tx, { kind: 'deliver', payload: {}, policy: abcPolicy, concurrencyKey: key, paused }, T0));
/** Capped claims (the outbound worker's: serialised by a lock) and uncapped ones (SKIP LOCKED alone). */
const claimOn = (storage: Storage, now = T0, workerId = 'w', limit = 50, capped = true) =>
  storage.write((tx) => queue.claim(tx, { workerId, limit, now, leaseMs: LEASE, perKeyLimit: capped ? 1000 : undefined }));
const claim = (now = T0) => claimOn(db.storage, now);
const stateOf = async (id: number) => (await queue.get(db.storage.read, id))?.state;

it('when a key is parked, then only its pending jobs pause, nothing of it is claimed or waited for, and stats show them', async () => {
  const running = await enqueue();
  await claim();
  const pending = [await enqueue(), await enqueue()];
  const other = await enqueue('webhook:2');
  expect(await db.storage.write((tx) => queue.park(tx, KEY, T0))).toEqual(pending);
  expect(await stateOf(running)).toBe('running');
  expect(await stateOf(other)).toBe('pending');
  expect((await claim(T0 + 1)).map((j) => j.id)).toEqual([other]);
  expect(await queue.nextWakeAt(db.storage.read, ['deliver'])).toBe(T0 + LEASE);
  const stats = await queue.stats(db.storage.read, T0);
  expect(stats.find((s) => s.state === 'paused')).toMatchObject({ kind: 'deliver', count: 2 });
});

it('when a job is enqueued paused, then it is never claimed until unparked', async () => {
  const id = await enqueue(KEY, true);
  expect(await stateOf(id)).toBe('paused');
  expect(await claim(T0 + 3_600_000)).toEqual([]);
  expect(await db.storage.write((tx) => queue.unpark(tx, KEY, T0 + 5000))).toEqual([id]);
  const [job] = await claim(T0 + 5000);
  expect(job).toMatchObject({ id, attempt: 1, maxAttempts: abcPolicy.maxAttempts });
});

it('when a parked job is unparked, then it is due now with its history and a full new round of attempts', async () => {
  const id = await enqueue();
  const [first] = await claim();
  await db.storage.write((tx) => queue.fail(tx, first, T0 + 10, { error: new Error('503'), nextRunAt: T0 + 3010 }));
  await db.storage.write((tx) => queue.park(tx, KEY, T0 + 20));
  const at = T0 + 86_400_000;
  await db.storage.write((tx) => queue.unpark(tx, KEY, at));
  expect(await queue.get(db.storage.read, id)).toMatchObject({ state: 'pending', runAt: at, attempts: 1, maxAttempts: 1 + abcPolicy.maxAttempts });
  expect(await queue.attempts(db.storage.read, id)).toHaveLength(1);
});

it('when a handler parks its job, then the job is paused, not dead, and its attempt is logged', async () => {
  const id = await enqueue();
  const [job] = await claim();
  expect(await db.storage.write((tx) => queue.fail(tx, job, T0 + 5, { error: new Error('paused'), nextRunAt: null, park: true }))).toBe(true);
  expect(await queue.get(db.storage.read, id)).toMatchObject({ state: 'paused', finishedAt: null, lockedBy: null });
  expect(await queue.attempts(db.storage.read, id)).toMatchObject([{ outcome: 'failed', errorMessage: 'paused' }]);
});

it('when parked jobs are discarded, then they are dead with the reason, and requeue still works on them', async () => {
  const [a, b] = [await enqueue(KEY, true), await enqueue(KEY, true)];
  const pending = await enqueue();
  expect(await db.storage.write((tx) => queue.discardParked(tx, KEY, T0 + 1, 'discarded by an admin'))).toEqual([a, b]);
  expect(await queue.get(db.storage.read, a)).toMatchObject({ state: 'dead', finishedAt: T0 + 1, lastError: 'discarded by an admin' });
  expect(await stateOf(pending)).toBe('pending');
  expect(await db.storage.write((tx) => queue.requeue(tx, a, T0 + 2))).toBe(true);
  expect(await db.storage.write((tx) => queue.unpark(tx, KEY, T0 + 3))).toEqual([]);
});

// Several instances share one database: a resume (or two) racing the claims of both must still
// hand every job to exactly one claimer, and a park racing a claim leaves each job on one side.
it('when two instances unpark and claim at the same moment, then every parked job is claimed exactly once', async () => {
  const other = await openStorageOn(db.database);
  try {
    const ids: number[] = [];
    for (let i = 0; i < 120; i++) ids.push(await enqueue(KEY, true));
    const now = T0 + 1000;
    const unparks = [db.storage, other].map((s) => s.write((tx) => queue.unpark(tx, KEY, now)));
    const claimed: ClaimedJob[] = [];
    const claimers = Array.from({ length: 6 }, async (_, i) => {
      for (let round = 0; round < 10; round++) claimed.push(...(await claimOn(i % 2 === 0 ? db.storage : other, now, `w${i}`, 15, i < 3)));
    });
    const [mine, theirs] = await Promise.all(unparks);
    await Promise.all(claimers);
    for (let more = await claim(now); more.length > 0; more = await claim(now)) claimed.push(...more);
    expect([...mine, ...theirs].sort((x, y) => x - y)).toEqual(ids);
    expect(claimed.map((j) => j.id).sort((x, y) => x - y)).toEqual(ids);
  } finally {
    await other.close();
  }
});

it('when one instance parks while another claims, then each job is either claimed or paused, never both', async () => {
  const other = await openStorageOn(db.database);
  try {
    const ids: number[] = [];
    for (let i = 0; i < 120; i++) ids.push(await enqueue());
    const claims = Array.from({ length: 4 }, (_, i) => claimOn(other, T0, `w${i}`, 20, i % 2 === 0));
    const [parked, ...claimed] = await Promise.all([db.storage.write((tx) => queue.park(tx, KEY, T0)), ...claims]);
    const taken = claimed.flat().map((j) => j.id);
    expect(taken.filter((id) => parked.includes(id))).toEqual([]);
    expect([...parked, ...taken].sort((x, y) => x - y)).toEqual(ids);
    for (const id of parked) expect(await stateOf(id)).toBe('paused');
  } finally {
    await other.close();
  }
});
