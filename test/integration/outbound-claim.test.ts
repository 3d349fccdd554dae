import { abcPolicy, SqlJobQueue, type ClaimedJob } from '../../src/delivery';
import type { Storage } from '../../src/storage/port';
import { freshStorage, openStorageOn, type TestStorage } from '../support/backend';

// The claim's cap per concurrency key: what keeps one slow endpoint from taking every slot.

const T0 = Date.UTC(2026, 2, 1);
const LEASE = 30_000;

let db: TestStorage;
let queue: SqlJobQueue;

beforeEach(async () => {
  db = await freshStorage();
  queue = new SqlJobQueue(db.storage.claims);
});
afterEach(() => db.remove());

const enqueue = (key: string | null, runAt = T0, kind = 'deliver') =>
  db.storage.write((tx) => queue.enqueue(tx, { kind, payload: {}, policy: abcPolicy, concurrencyKey: key, runAt }, T0));
const claimOn = (storage: Storage, limit: number, perKeyLimit: number | undefined, now = T0, kinds?: string[], workerId = 'w') =>
  storage.write((tx) => queue.claim(tx, { workerId, limit, now, leaseMs: LEASE, kinds, perKeyLimit }));
const claim = (limit: number, perKeyLimit: number | undefined, now = T0, kinds?: string[]) => claimOn(db.storage, limit, perKeyLimit, now, kinds);
const keysOf = (jobs: Array<{ concurrencyKey: string | null }>) => jobs.map((j) => j.concurrencyKey);

it('when one key has a backlog, then a capped claim takes at most the cap of it and still serves the other keys', async () => {
  for (let i = 0; i < 10; i++) await enqueue('webhook:slow');
  await enqueue('webhook:fast');
  await enqueue(null);
  const claimed = await claim(50, 2);
  expect(keysOf(claimed)).toEqual(['webhook:slow', 'webhook:slow', 'webhook:fast', null]);
});

it("when one key's backlog is due before every other job, then a capped claim still serves the other keys", async () => {
  for (let i = 0; i < 100; i++) await enqueue('webhook:behind', T0 - 1000 + i);
  await enqueue('webhook:other');
  await enqueue(null);
  expect(keysOf(await claim(8, 2))).toEqual(['webhook:behind', 'webhook:behind', 'webhook:other', null]);
  // Saturated now: its backlog neither fills the next claim nor sets the wake-up time.
  await enqueue('webhook:other', T0 + 5000);
  expect(await claim(8, 2)).toEqual([]);
  expect(await queue.nextWakeAt(db.storage.read, ['deliver'], { now: T0, perKeyLimit: 2 })).toBe(T0 + 5000);
});

it('when a key already has jobs running, then they count against its cap', async () => {
  for (let i = 0; i < 5; i++) await enqueue('webhook:a');
  expect(await claim(1, 3)).toHaveLength(1);
  expect(await claim(50, 3)).toHaveLength(2);
  expect(await claim(50, 3)).toHaveLength(0);
});

it("when a running job's lease has expired, then its slot is free again and the job itself is claimable", async () => {
  await enqueue('webhook:a');
  await enqueue('webhook:a');
  expect(await claim(50, 1)).toHaveLength(1);
  expect(await claim(50, 1, T0 + LEASE - 1)).toHaveLength(0);
  const again = await claim(50, 1, T0 + LEASE);
  expect(again).toHaveLength(1);
  expect(again[0].attempt).toBe(2);
});

it('when kinds are given, then the capped claim takes only those kinds', async () => {
  await enqueue('k', T0, 'apply');
  await enqueue('k', T0, 'deliver');
  expect((await claim(50, 4, T0, ['deliver'])).map((j) => j.kind)).toEqual(['deliver']);
});

it('when every due job belongs to a saturated key, then the capped wake-up time ignores them', async () => {
  await enqueue('webhook:a');
  await enqueue('webhook:a');
  await enqueue('webhook:b', T0 + 5000);
  await claim(50, 1);
  const capped = await queue.nextWakeAt(db.storage.read, ['deliver'], { now: T0, perKeyLimit: 1 });
  expect(capped).toBe(T0 + 5000);
  // Uncapped, the due backlog of the saturated key would make the worker spin.
  expect(await queue.nextWakeAt(db.storage.read, ['deliver'])).toBe(T0);
});

// Several instances share one database (PostgreSQL) or one file (SQLite, two processes): the cap
// is per key for all of them together, and no job is handed to two claimers.
it('when two instances claim at the same moment, then no job goes to both and the cap holds across them', async () => {
  const other = await openStorageOn(db.database);
  try {
    for (let i = 0; i < 40; i++) await enqueue(`webhook:${i % 4}`);
    const rounds: ClaimedJob[][] = [];
    for (let round = 0; round < 5; round++) {
      const claims = await Promise.all([
        ...Array.from({ length: 3 }, () => claimOn(db.storage, 10, 3, T0, undefined, 'a')),
        ...Array.from({ length: 3 }, () => claimOn(other, 10, 3, T0, undefined, 'b')),
      ]);
      rounds.push(claims.flat());
    }
    const all = rounds.flat();
    expect(new Set(all.map((j) => j.id)).size).toBe(all.length);
    // Nothing finishes in between: across every claim of both instances, at most 3 per key.
    const perKey = new Map<string, number>();
    for (const job of all) perKey.set(job.concurrencyKey as string, (perKey.get(job.concurrencyKey as string) ?? 0) + 1);
    expect([...perKey.values()]).toEqual([3, 3, 3, 3]);
  } finally {
    await other.close();
  }
});

it('when two instances claim uncapped at the same moment, then every due job is claimed exactly once', async () => {
  const other = await openStorageOn(db.database);
  try {
    for (let i = 0; i < 200; i++) await enqueue(null);
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => claimOn(i % 2 === 0 ? db.storage : other, 15, undefined, T0, undefined, `w${i}`)));
    const ids = claims.flat().map((j) => j.id);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
  } finally {
    await other.close();
  }
});

// The capped claim picks its rows from the statement's snapshot and locks them after: a row another
// transaction claimed (or finished, or parked) in between must not be leased a second time.
it('when capped and uncapped claims race on two instances, then no job is claimed twice', async () => {
  const other = await openStorageOn(db.database);
  try {
    for (let round = 0; round < 6; round++) {
      const ids: number[] = [];
      for (let i = 0; i < 80; i++) ids.push(await enqueue(`webhook:${i % 3}`, T0 + round));
      const now = T0 + round;
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) => claimOn(i % 2 === 0 ? db.storage : other, 10, i % 3 === 0 ? undefined : 1000, now, undefined, `w${i}`)),
      );
      const taken = claims.flat().map((j) => j.id);
      expect(taken.length).toBe(new Set(taken).size);
      for (let more = await claim(50, undefined, now); more.length > 0; more = await claim(50, undefined, now)) taken.push(...more.map((j) => j.id));
      expect(taken.sort((a, b) => a - b)).toEqual(ids);
    }
  } finally {
    await other.close();
  }
});
